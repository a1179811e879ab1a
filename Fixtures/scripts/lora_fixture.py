#!/usr/bin/env python3
"""LoRA adapter fixtures and merged-model goldens (issue 10).

Makes peft LoRA adapters for the tiny fixture model `models/mpt-4h-f32`, saves them with
`save_pretrained`, merges them with peft's `merge_and_unload`, and stores the merged model's
float64 logits for the fixture prompt.  Deterministic: the LoRA matrices are drawn with numpy
from fixed seeds (peft's own init leaves lora_B at zero, which would make the merge a no-op).

    pip install peft          # used: peft 0.21.2, transformers 4.57.6, torch 2.15.0
    python3 Fixtures/scripts/lora_fixture.py

Output (`Fixtures/adapters/`):
  mpt-4h-lora/            r=4, alpha=8, Wqkv/out_proj/up_proj/down_proj, adapter_model.safetensors,
                          reference/merged_logits_f64.npy (peft merge_and_unload, float64 forward)
  mpt-4h-lora-bin/        same tensors, safe_serialization=False (adapter_model.bin)
  mpt-4h-lora-rslora/     use_rslora (scale alpha/sqrt(r)), reference/merged_logits_f64.npy
  mpt-4h-lora-patterns/   target_modules as a regex string, rank_pattern / alpha_pattern,
                          reference/merged_logits_f64.npy
  mpt-4h-lora-dora/       hostile: use_dora=True (peft output, has lora_magnitude_vector)
  mpt-4h-lora-lm-head/    hostile: targets lm_head (a real module of HF MPT, tied to wte; not a
                          block linear)
  mpt-4h-lora-unknown-module/  hostile: hand-edited copy of mpt-4h-lora with an extra module
                          `transformer.blocks.0.attn.q_proj` (no such module in MPT)
"""
from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import torch

FIXTURES = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(FIXTURES))
import generate as G  # noqa: E402  (helpers: hf_patched, hf_forward, np_mpt_forward, TOKENS)

BASE = FIXTURES / "models" / "mpt-4h-f32"
OUT = FIXTURES / "adapters"
TARGETS = ["Wqkv", "out_proj", "up_proj", "down_proj"]
SPEC = dict(G.SPEC_A)


def load_base():
    from transformers import MptForCausalLM
    return MptForCausalLM.from_pretrained(BASE, torch_dtype=torch.float32).eval()


def peft_model(config, seed):
    """The base model with a LoRA adapter whose A and B are N(0, 0.2), rounded to float32."""
    from peft import get_peft_model
    model = get_peft_model(load_base(), config)
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for name, module in sorted(model.named_modules()):
            if hasattr(module, "lora_A") and "default" in getattr(module, "lora_A", {}):
                for part in (module.lora_A["default"], module.lora_B["default"]):
                    w = rng.normal(0.0, 0.2, size=tuple(part.weight.shape)).astype(np.float32)
                    part.weight.copy_(torch.from_numpy(w))
    return model.eval()


def save(model, directory, safe=True):
    if directory.exists():
        shutil.rmtree(directory)
    model.save_pretrained(directory, safe_serialization=safe)
    (directory / "README.md").unlink(missing_ok=True)
    config_path = directory / "adapter_config.json"
    config = json.loads(config_path.read_text())
    config["base_model_name_or_path"] = "Fixtures/models/mpt-4h-f32"
    config_path.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")


def merged_logits(model):
    """peft merge_and_unload in float64, then the patched-HF float64 forward (see Fixtures/README.md)."""
    import copy
    merged = copy.deepcopy(model).double().merge_and_unload().eval()
    with G.hf_patched(True):
        return merged, G.hf_forward(merged, torch.float64)


def numpy_check(directory, logits, scales):
    """Independent check: W + scale·B·A in numpy float64 from the saved files, numpy forward."""
    from safetensors.numpy import load_file
    W = {k: v.astype(np.float64) for k, v in load_file(BASE / "model.safetensors").items()}
    adapter = load_file(directory / "adapter_model.safetensors")
    for key, a in adapter.items():
        if not key.endswith(".lora_A.weight"):
            continue
        module = key[len("base_model.model."):-len(".lora_A.weight")]
        b = adapter[key.replace("lora_A", "lora_B")].astype(np.float64)
        W[module + ".weight"] = W[module + ".weight"] + scales(module, a.shape[0]) * (b @ a.astype(np.float64))
    ours = G.np_mpt_forward(W, SPEC, G.TOKENS)
    error = G.rel_l2(ours, logits)
    print(f"  numpy merge+forward vs peft merged logits: rel-L2 {error:.2e}")
    assert error < 1e-12, error
    return error


def write_reference(directory, logits, base_logits):
    ref = directory / "reference"
    ref.mkdir(parents=True, exist_ok=True)
    np.save(ref / "merged_logits_f64.npy", np.ascontiguousarray(logits, dtype=np.float64))
    (ref / "tokens.json").write_text(json.dumps(G.TOKENS) + "\n")
    print(f"  merged vs base logits: rel-L2 {G.rel_l2(logits, base_logits):.3f}")


def main():
    from peft import LoraConfig
    OUT.mkdir(exist_ok=True)
    base_logits = np.load(BASE / "reference" / "logits_f64.npy")

    print("mpt-4h-lora (r=4, alpha=8)")
    plain = peft_model(LoraConfig(r=4, lora_alpha=8, target_modules=TARGETS, lora_dropout=0.0), seed=2001)
    save(plain, OUT / "mpt-4h-lora")
    save(plain, OUT / "mpt-4h-lora-bin", safe=False)
    _, logits = merged_logits(plain)
    numpy_check(OUT / "mpt-4h-lora", logits, lambda module, r: 8 / r)
    write_reference(OUT / "mpt-4h-lora", logits, base_logits)

    print("mpt-4h-lora-rslora (scale alpha/sqrt(r))")
    rs = peft_model(LoraConfig(r=4, lora_alpha=8, target_modules=TARGETS, use_rslora=True), seed=2002)
    save(rs, OUT / "mpt-4h-lora-rslora")
    _, logits = merged_logits(rs)
    numpy_check(OUT / "mpt-4h-lora-rslora", logits, lambda module, r: 8 / r ** 0.5)
    write_reference(OUT / "mpt-4h-lora-rslora", logits, base_logits)

    print("mpt-4h-lora-patterns (regex target_modules, rank_pattern, alpha_pattern)")
    pattern_config = LoraConfig(
        r=4, lora_alpha=8, target_modules=r".*\.(Wqkv|out_proj|up_proj)",
        rank_pattern={"blocks.1.ffn.up_proj": 2}, alpha_pattern={"out_proj": 3})

    def pattern_scale(module, r):
        alpha = 3 if module.endswith("out_proj") else 8
        return alpha / r

    pat = peft_model(pattern_config, seed=2003)
    save(pat, OUT / "mpt-4h-lora-patterns")
    _, logits = merged_logits(pat)
    numpy_check(OUT / "mpt-4h-lora-patterns", logits, pattern_scale)
    write_reference(OUT / "mpt-4h-lora-patterns", logits, base_logits)

    print("hostile: mpt-4h-lora-dora, mpt-4h-lora-lm-head, mpt-4h-lora-unknown-module")
    save(peft_model(LoraConfig(r=4, lora_alpha=8, target_modules=TARGETS, use_dora=True), seed=2004),
         OUT / "mpt-4h-lora-dora")
    save(peft_model(LoraConfig(r=4, lora_alpha=8, target_modules=["lm_head"]), seed=2005),
         OUT / "mpt-4h-lora-lm-head")
    unknown = OUT / "mpt-4h-lora-unknown-module"
    if unknown.exists():
        shutil.rmtree(unknown)
    unknown.mkdir()
    from safetensors.numpy import load_file, save_file
    tensors = load_file(OUT / "mpt-4h-lora" / "adapter_model.safetensors")
    rng = np.random.default_rng(2006)
    tensors["base_model.model.transformer.blocks.0.attn.q_proj.lora_A.weight"] = rng.normal(0, 0.2, (4, 64)).astype(np.float32)
    tensors["base_model.model.transformer.blocks.0.attn.q_proj.lora_B.weight"] = rng.normal(0, 0.2, (64, 4)).astype(np.float32)
    save_file(tensors, unknown / "adapter_model.safetensors", metadata={"format": "pt"})
    config = json.loads((OUT / "mpt-4h-lora" / "adapter_config.json").read_text())
    config["target_modules"] = TARGETS + ["q_proj"]
    (unknown / "adapter_config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
