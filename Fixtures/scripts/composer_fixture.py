#!/usr/bin/env python3
"""Makes a Composer checkpoint fixture (the `.pt` llm-foundry training writes) and hostile variants.

Composer's `Trainer` saves `torch.save({"state": state.state_dict(), "rng": reproducibility.get_rng_state()})`
(composer/utils/checkpoint.py, `_save_checkpoint`).  `state.state_dict()` holds `model` (the
ComposerMPTCausalLM state dict: HF names under a `model.` prefix), `optimizers` (class name -> the
optimizer's state_dict), `schedulers` (a list of scheduler state_dicts), `algorithms`, `callbacks`,
`timestamp` (Timestamp.state_dict(): ints and datetime.timedelta wall-clock times), `rank_zero_seed`,
`run_name`, `dataset_state`, `integrations` (`huggingface`: the HF config and tokenizer that
HuggingFaceModel.get_metadata() stores, `{"model": {"config": {"file_extension": ".json", "content":
config.to_dict(), "class": ...}}, "tokenizer": {...}}`) and `metadata` (versions, env info).
`rng` is a list with one dict per rank: Python `random.getstate()`, NumPy `np.random.get_state()`
(an ndarray, pickled through numpy's `_reconstruct`), torch's CPU generator state (a uint8 tensor).

Composer itself is not installed (its pins conflict with ours); this script builds exactly that layout
with torch, numpy and the standard library, so it needs only Fixtures/requirements.txt.

    python3 Fixtures/scripts/composer_fixture.py      # from the repository root

Writes:
- Fixtures/models/mpt-4h-composer-pt/ep1-ba4-rank0.pt: weights of models/mpt-4h-f32-composer
  (float32, `model.` names), an AdamW state after 4 steps, a LambdaLR scheduler, NumPy/Python/torch
  RNG states, timedelta timestamps and the llm-foundry config only inside state.integrations (no
  config.json beside it: the config must come from the checkpoint).
- Fixtures/hostile/composer/weights_reach_os_system.pt: the same plus `state.model["model.evil"]`,
  an object whose __reduce__ is os.system (must be refused: the weights reach it).
- Fixtures/hostile/composer/placeholder_as_storage.pt: the fixture with the pickle's storage class
  global renamed (`torch.FloatStorage` -> `torch.FloatStorag_`, same length, CRCs fixed), so every
  tensor's storage is a placeholder (must be refused).
- Fixtures/hostile/composer/valid.metadata_os_system.pt: os.system only inside state.metadata, outside
  state.model (loads: a placeholder that nothing reads, never executed).
"""

from __future__ import annotations

import datetime
import io
import json
import os
import random
import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "models" / "mpt-4h-f32-composer"
OUT = ROOT / "models" / "mpt-4h-composer-pt"
HOSTILE = ROOT / "hostile" / "composer"


class RunsOsSystem:
    """Pickles as a call of os.system (what a hostile checkpoint would do)."""

    def __reduce__(self):
        return (os.system, ("touch /tmp/mptkit-composer-pwned",))


def composer_state(extra_model=None, extra_metadata=None, tiny=False):
    """The checkpoint dict; `tiny` keeps only the final LayerNorm as weights (hostile variants are
    refused or accepted before the graph is built, so they need no full model)."""
    torch.manual_seed(0)
    random.seed(0)
    np.random.seed(0)
    weights = load_file(str(SOURCE / "model.safetensors"))
    if tiny:
        weights = {name: tensor for name, tensor in weights.items() if ".norm_f." in name}
    # AdamW over the LayerNorm parameters only: a real optimizer state (step, exp_avg,
    # exp_avg_sq tensors, param_groups) without tripling the fixture's size.
    params = {name: torch.nn.Parameter(tensor.clone()) for name, tensor in weights.items() if "norm" in name}
    optimizer = torch.optim.AdamW(params.values(), lr=6e-4, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.0)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: min(1.0, (step + 1) / 10))
    for _ in range(4):
        optimizer.zero_grad()
        loss = sum((p.float() ** 2).mean() for p in params.values())
        loss.backward()
        optimizer.step()
        scheduler.step()
    # The saved weights are the fixture's own (the optimizer steps above only make a real Adam
    # state), so the checkpoint converts to exactly models/mpt-4h-f32-composer.
    model = {name: tensor.clone() for name, tensor in weights.items()}
    if extra_model:
        model.update(extra_model)
    config = json.loads((SOURCE / "config.json").read_text())
    seconds = datetime.timedelta(seconds=12, microseconds=345678)
    state = {
        "model": model,
        "optimizers": {"AdamW": optimizer.state_dict()},
        "schedulers": [scheduler.state_dict()],
        "algorithms": [("GradientClipping", {"clipping_type": "norm", "clipping_threshold": 1.0})],
        "callbacks": {"LRMonitor": {}, "SpeedMonitor": {"total_eval_wct": 0.0}},
        "rank_zero_seed": 17,
        "run_name": "mpt-4h-fixture",
        "timestamp": {
            "iteration": 0, "epoch": 1, "batch": 4, "sample": 32, "token": 4096,
            "epoch_in_iteration": 1, "token_in_iteration": 4096, "batch_in_epoch": 0,
            "sample_in_epoch": 0, "token_in_epoch": 0,
            "total_wct": seconds, "iteration_wct": seconds, "epoch_wct": seconds, "batch_wct": datetime.timedelta(0),
        },
        "dataset_state": {"train": None},
        "integrations": {
            "huggingface": {
                "model": {"config": {"file_extension": ".json", "content": config,
                                      "class": "<class 'llmfoundry.models.mpt.configuration_mpt.MPTConfig'>"}},
                "tokenizer": {},
            }
        },
        "metadata": {"composer_version": "0.28.0", "torch_version": torch.__version__,
                     "composer_commit_hash": None, "device": "cpu", "precision": "amp_bf16",
                     "world_size": 1, "device_train_microbatch_size": 8, "huggingface": {}},
    }
    if extra_metadata:
        state["metadata"].update(extra_metadata)
    rng = [{
        "python": random.getstate(),
        "numpy": np.random.get_state(),
        "torch": torch.random.get_rng_state(),
    }]
    return {"state": state, "rng": rng}


def save(obj, path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(obj, path)
    print(path.relative_to(ROOT.parent), path.stat().st_size)


def rename_storage_class(source: Path, target: Path):
    """Copies `source`, renaming torch.FloatStorage in data.pkl in place (same length) and fixing
    both CRCs, so the zip stays valid and only the pickle's meaning changes."""
    raw = bytearray(source.read_bytes())
    with zipfile.ZipFile(source) as archive:
        info = next(i for i in archive.infolist() if i.filename.endswith("/data.pkl"))
        pickle_bytes = archive.read(info)
    assert info.compress_type == zipfile.ZIP_STORED
    patched = pickle_bytes.replace(b"FloatStorage", b"FloatStorag_")
    assert patched != pickle_bytes and len(patched) == len(pickle_bytes)
    local = info.header_offset
    name_length, extra_length = struct.unpack_from("<HH", raw, local + 26)
    data_start = local + 30 + name_length + extra_length
    assert raw[data_start:data_start + len(pickle_bytes)] == pickle_bytes
    raw[data_start:data_start + len(patched)] = patched
    crc = zlib.crc32(patched) & 0xFFFFFFFF
    struct.pack_into("<I", raw, local + 14, crc)
    # Find this entry's central directory record by its local header offset.
    position = 0
    while True:
        position = raw.find(b"PK\x01\x02", position)
        assert position >= 0
        (offset,) = struct.unpack_from("<I", raw, position + 42)
        if offset == local:
            struct.pack_into("<I", raw, position + 16, crc)
            break
        position += 4
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(bytes(raw))
    with zipfile.ZipFile(target) as check:
        assert check.testzip() is None
    print(target.relative_to(ROOT.parent), target.stat().st_size)


def main():
    good = OUT / "ep1-ba4-rank0.pt"
    save(composer_state(), good)
    save(composer_state(extra_model={"model.evil": RunsOsSystem()}, tiny=True), HOSTILE / "weights_reach_os_system.pt")
    save(composer_state(extra_metadata={"hook": RunsOsSystem()}, tiny=True), HOSTILE / "valid.metadata_os_system.pt")
    tiny = HOSTILE / "tiny.pt"
    save(composer_state(tiny=True), tiny)
    rename_storage_class(tiny, HOSTILE / "placeholder_as_storage.pt")
    tiny.unlink()


if __name__ == "__main__":
    main()
