#!/usr/bin/env python3
"""Goldens for MPTQuant's bitsandbytes NF4 / LLM.int8 quantizers, made with bitsandbytes itself (CPU).

Writes Fixtures/goldens/bnb/manifest.json plus one raw little-endian .bin per array. Each case lists its
arrays as {"file", "dtype" (numpy name), "shape"}; 4-bit cases also carry the exact
`QuantState.as_dict(packed=True)` items (the names transformers stores after "<module>.weight.").

Run: python3 Fixtures/scripts/bnb_goldens.py   (bitsandbytes 0.50.x, torch, transformers)
"""
import json, os, sys
import numpy as np
import torch
import bitsandbytes as bnb
import bitsandbytes.functional as F

torch.set_num_threads(1)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "goldens", "bnb")
os.makedirs(OUT, exist_ok=True)
manifest = {"bitsandbytes": bnb.__version__, "torch": torch.__version__, "cases": []}


def save(case, key, array):
    array = np.array(array, copy=True, order="C")
    name = f"{case['name']}.{key}.bin"
    with open(os.path.join(OUT, name), "wb") as handle:
        handle.write(array.astype(array.dtype.newbyteorder("<")).tobytes())
    case["arrays"][key] = {"file": name, "dtype": str(array.dtype), "shape": list(array.shape)}


def inputs():
    rng = np.random.default_rng(20240611)
    yield "normal_256x64", (rng.standard_normal((256, 64)) * 0.02).astype(np.float32)
    yield "odd_100x37", (rng.standard_normal((100, 37)) * 0.5).astype(np.float32)
    # Values that land exactly on NF4 midpoints after scaling by absmax = 1 (ties),
    # plus the table itself, +-1, and tiny values.
    code = F.get_4bit_type("nf4", device="cpu").numpy()
    mids = ((code[:-1] + code[1:]) / np.float32(2)).astype(np.float32)
    ties = np.concatenate([code, mids, -mids, np.nextafter(mids, 2), np.nextafter(mids, -2),
                           np.array([1.0, -1.0, 1e-8, -1e-8], np.float32)]).astype(np.float32)
    ties = np.resize(ties, 64 * 3).astype(np.float32)
    ties[0::64] = 1.0  # every block has absmax exactly 1 so scaled == value
    yield "ties_3x64", ties.reshape(3, 64)
    zeros = (rng.standard_normal((4, 64)) * 0.1).astype(np.float32)
    zeros[1] = 0.0  # an all-zero block
    zeros[3, 40:] = 0.0
    yield "zeros_4x64", zeros
    # Partial final block that is all zeros (absmax clamps to 1e-38 there).
    tail = np.zeros(64 + 10, np.float32)
    tail[:64] = rng.standard_normal(64).astype(np.float32)
    yield "zero_tail_74", tail
    yield "wide_128x300", (rng.standard_normal((128, 300)) * 0.05).astype(np.float32)


def nf4_case(name, x, blocksize, double):
    case = {"name": f"nf4_{name}_b{blocksize}_{'dq' if double else 'plain'}", "kind": "nf4",
            "blocksize": blocksize, "double_quant": double, "shape": list(x.shape), "arrays": {}, "quant_state": {}}
    tensor = torch.from_numpy(x.copy())
    packed, state = F.quantize_4bit(tensor, blocksize=blocksize, compress_statistics=double, quant_type="nf4")
    save(case, "input", x)
    save(case, "packed", packed.numpy())
    for key, value in state.as_dict(packed=True).items():
        save(case, "qs." + key, value.numpy())
        case["quant_state"][key] = "qs." + key
    packed_json = state.as_dict(packed=True)["quant_state.bitsandbytes__nf4"].numpy().tobytes().decode()
    case["quant_state_json"] = packed_json
    if double:
        case["offset"] = float(state.offset.item())
    save(case, "dequant", F.dequantize_4bit(packed, state, quant_type="nf4").numpy())
    manifest["cases"].append(case)


def int8_case(name, x):
    case = {"name": f"int8_{name}", "kind": "int8", "shape": list(x.shape), "arrays": {}}
    save(case, "input", x)
    half = torch.from_numpy(x.copy()).to(torch.float16)  # what Int8Params._quantize does
    cb, scb, outliers = F.int8_vectorwise_quant(half.clone())
    save(case, "CB", cb.numpy())
    save(case, "SCB", scb.numpy())
    save(case, "dequant", F.int8_vectorwise_dequant(cb, scb).numpy())
    # The module path: Linear8bitLt state dict as transformers saves it.
    layer = bnb.nn.Linear8bitLt(x.shape[1], x.shape[0], bias=False, has_fp16_weights=False)
    layer.weight = bnb.nn.Int8Params(torch.from_numpy(x.copy()), requires_grad=False, has_fp16_weights=False)
    layer = layer.to("cpu")
    layer.weight._quantize("cpu") if layer.weight.dtype != torch.int8 else None
    state = layer.state_dict()
    for key, value in state.items():
        save(case, "sd." + key, value.numpy())
    manifest["cases"].append(case)


for name, x in inputs():
    for blocksize in (64, 128, 4096):
        for double in (False, True):
            nf4_case(name, x, blocksize, double)

rng = np.random.default_rng(7)
w = (rng.standard_normal((64, 48)) * 0.1).astype(np.float32)
w[5, 7] = 3.0  # an outlier (weights are quantized with threshold 0: no outlier split)
int8_case("64x48", w)
z = (rng.standard_normal((6, 33)) * 2).astype(np.float32)
z[2] = 0.0
z[4, ::2] = 0.5  # ties x*127/absmax landing on .5 after the f16 round trip
z[4, 1::2] = -1.0
int8_case("zero_row_6x33", z)
int8_case("random_96x200", (rng.standard_normal((96, 200)) * 0.03).astype(np.float32))

try:
    from transformers import BitsAndBytesConfig
    manifest["config_nf4"] = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4",
                                                 bnb_4bit_use_double_quant=True,
                                                 bnb_4bit_compute_dtype=torch.bfloat16).to_dict()
    manifest["config_int8"] = BitsAndBytesConfig(load_in_8bit=True).to_dict()
except Exception as error:  # transformers is optional for the goldens themselves
    print("no transformers config:", error, file=sys.stderr)

with open(os.path.join(OUT, "manifest.json"), "w") as handle:
    json.dump(manifest, handle, indent=1, default=str)
print(f"wrote {len(manifest['cases'])} cases to {os.path.normpath(OUT)}")
