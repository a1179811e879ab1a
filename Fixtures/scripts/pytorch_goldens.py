#!/usr/bin/env python3
"""Extra PyTorch .bin fixtures for the zip/pickle reader, each with a safetensors twin holding
the same tensors (contiguous copies) written by the `safetensors` library as the golden.

    python3 Fixtures/scripts/pytorch_goldens.py      # writes Fixtures/pytorch/

Covers what the model fixtures do not: nn.Module.state_dict() (OrderedDict + `_metadata` set
by BUILD), nn.Parameter values (`_rebuild_parameter`), float8 tensors (`_rebuild_tensor_v3`
with `torch.storage.UntypedStorage` and a dtype global), int/bool storages, and views with a
storage offset and non-contiguous strides. Deterministic (fixed seed).
"""
from pathlib import Path
import torch
from safetensors.torch import save_file

OUT = Path(__file__).resolve().parent.parent / "pytorch"


def save_pair(name, tensors, obj=None):
    torch.save(tensors if obj is None else obj, OUT / f"{name}.bin")
    save_file({k: v.detach().clone().contiguous() for k, v in tensors.items()}, str(OUT / f"{name}.safetensors"))
    back = torch.load(OUT / f"{name}.bin", weights_only=True)
    flat = back if obj is None else back
    for k, v in tensors.items():
        assert torch.equal(flat[k].view(torch.uint8) if v.dtype.is_floating_point and v.element_size() == 1 else flat[k],
                           v.view(torch.uint8) if v.dtype.is_floating_point and v.element_size() == 1 else v), k


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(1234)

    # 1. nn.Module.state_dict(): OrderedDict with _metadata (pickled with BUILD).
    module = torch.nn.Sequential(torch.nn.Linear(8, 4), torch.nn.LayerNorm(4))
    sd = module.state_dict()
    save_pair("state_dict_metadata", dict(sd), obj=sd)

    # 2. Parameters (not detached): _rebuild_parameter around _rebuild_tensor_v2.
    params = {"p.weight": torch.nn.Parameter(torch.randn(3, 5)), "p.bias": torch.nn.Parameter(torch.randn(5))}
    torch.save(params, OUT / "parameters.bin")
    save_file({k: v.detach().clone() for k, v in params.items()}, str(OUT / "parameters.safetensors"))

    # 3. float8 (rebuild_tensor_v3 + UntypedStorage), plus integer and bool storages.
    base = torch.randn(4, 6)
    mixed = {
        "f8_e4m3": base.to(torch.float8_e4m3fn),
        "f8_e5m2": base.to(torch.float8_e5m2),
        "i64": torch.arange(-6, 6, dtype=torch.int64).reshape(3, 4),
        "i32": torch.arange(10, dtype=torch.int32) * -3,
        "i16": torch.arange(7, dtype=torch.int16),
        "i8": torch.arange(-4, 4, dtype=torch.int8),
        "u8": torch.arange(250, 256, dtype=torch.uint8),
        "bool": torch.tensor([True, False, True]),
        "f64": torch.randn(2, 2, dtype=torch.float64),
    }
    save_pair("dtypes", mixed)

    # 4. Views: storage offsets, transposes, strided slices, all sharing one storage.
    big = torch.randn(6, 8, dtype=torch.bfloat16)
    views = {
        "full": big,
        "rows_2_to_5": big[2:5],
        "transposed": big.t(),
        "every_other_column": big[:, ::2],
        "column_3": big[:, 3],
        "scalar": big[1, 1],
    }
    save_pair("views", views)


if __name__ == "__main__":
    main()
