#!/usr/bin/env python3
"""Create the MPT-1b-shaped benchmark model (random weights) under bench-out/.

    python3 bench/make_mpt1b.py [--out bench-out] [--only st|bin|bf16|gguf ...]

Shape: 24 layers, d_model 2048, 16 heads, vocab 50432, expansion_ratio 4,
max_seq_len 2048, ALiBi (bias max 8), no biases, tied embeddings: 1.31 B
parameters (HF MptForCausalLM naming).  Outputs (bench-out/ is git-ignored):

    mpt1b-f32-st/    model.safetensors  (float32, single file, ~5.3 GB) + config + tokenizer
    mpt1b-f32-bin/   pytorch_model.bin  (float32, single file, ~5.3 GB; HF writes the tied
                     lm_head.weight as a second reference to wte's storage) + config + tokenizer
    mpt1b-bf16/      model.safetensors  (bfloat16, ~2.6 GB) + config + tokenizer
    mpt1b-f16.gguf   llama.cpp convert_hf_to_gguf.py --outtype f16 of mpt1b-f32-st (~2.6 GB)
    mpt1b-f32.gguf   (--only gguf-f32) --outtype f32 of mpt1b-f32-st, else of mpt1b-bf16 (~5.2 GB)
    mpt1b-f32-st-llamacpp/, mpt1b-bf16-llamacpp/   symlinks + config.json with "architectures"
                     ["MPTForCausalLM"]: llama.cpp's converter refuses HF's "MptForCausalLM"

Weights are drawn like the test fixtures but width-scaled so activations stay in
the same range as in the tiny fixtures (std 0.2 at fan-in 64):
matrices N(0, 0.2 * sqrt(64 / fan_in)) (down_proj half that), LayerNorm weights
1 + N(0, 0.1).  Deterministic: torch.Generator seeded per tensor.
The tokenizer files (GPT-NeoX-20B) are copied from Fixtures/models/mpt-neox-tok-f16
(llama.cpp's converter needs them).
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TOKENIZER_DIR = REPO / "Fixtures" / "models" / "mpt-neox-tok-f16"
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")

SHAPE = dict(d_model=2048, n_heads=16, n_layers=24, vocab_size=50432, expansion_ratio=4,
             max_seq_len=2048)


def mpt_config(dtype):
    from transformers import MptConfig
    return MptConfig(
        d_model=SHAPE["d_model"], n_heads=SHAPE["n_heads"], n_layers=SHAPE["n_layers"],
        expansion_ratio=SHAPE["expansion_ratio"], max_seq_len=SHAPE["max_seq_len"],
        vocab_size=SHAPE["vocab_size"], layer_norm_epsilon=1e-5, no_bias=True, logit_scale=None,
        attn_config=dict(attn_impl="torch", alibi=True, alibi_bias_max=8, clip_qkv=None,
                         softmax_scale=None, qk_ln=False),
        torch_dtype=dtype,
    )


def make_state_dict():
    """name -> float32 tensor, HF names, no lm_head (tied)."""
    import torch
    d, L, V = SHAPE["d_model"], SHAPE["n_layers"], SHAPE["vocab_size"]
    f = SHAPE["expansion_ratio"] * d
    sd = {}
    seed = [20240]

    def gen():
        seed[0] += 1
        return torch.Generator().manual_seed(seed[0])

    def mat(rows, cols, scale=1.0):
        std = 0.2 * math.sqrt(64.0 / cols) * scale
        return torch.randn(rows, cols, generator=gen(), dtype=torch.float32).mul_(std)

    def lnw(n):
        return torch.randn(n, generator=gen(), dtype=torch.float32).mul_(0.1).add_(1.0)

    # wte is also the output head: fan-in for the logits is d.
    sd["transformer.wte.weight"] = mat(V, d)
    for i in range(L):
        p = f"transformer.blocks.{i}."
        sd[p + "norm_1.weight"] = lnw(d)
        sd[p + "attn.Wqkv.weight"] = mat(3 * d, d)
        sd[p + "attn.out_proj.weight"] = mat(d, d)
        sd[p + "norm_2.weight"] = lnw(d)
        sd[p + "ffn.up_proj.weight"] = mat(f, d)
        sd[p + "ffn.down_proj.weight"] = mat(d, f, scale=0.5)
    sd["transformer.norm_f.weight"] = lnw(d)
    return sd


def hf_model(sd, dtype):
    """MptForCausalLM on the meta device, then the given tensors assigned (no init pass)."""
    import torch
    from transformers import MptForCausalLM
    cfg = mpt_config({torch.float32: "float32", torch.bfloat16: "bfloat16"}[dtype])
    with torch.device("meta"):
        model = MptForCausalLM(cfg)
    full = {k: v.to(dtype) for k, v in sd.items()}
    full["lm_head.weight"] = full["transformer.wte.weight"]
    model.load_state_dict(full, strict=True, assign=True)
    model.tie_weights()
    assert model.lm_head.weight.data_ptr() == model.transformer.wte.weight.data_ptr()
    return model.eval()


def llama_cpp_staging(src: Path) -> Path:
    """<src>-llamacpp/: symlinks to src's files, config.json with "architectures"
    spelled "MPTForCausalLM".  llama.cpp's convert_hf_to_gguf.py registers only
    MosaicML's spelling and refuses HF's "MptForCausalLM" ("Model MptForCausalLM
    is not supported")."""
    dst = src.parent / (src.name + "-llamacpp")
    if dst.exists():
        shutil.rmtree(dst)
    dst.mkdir()
    for f in src.iterdir():
        if f.is_file() and f.name != "config.json":
            (dst / f.name).symlink_to(f.resolve())
    cfg = json.loads((src / "config.json").read_text())
    cfg["architectures"] = ["MPTForCausalLM"]
    (dst / "config.json").write_text(json.dumps(cfg, indent=2) + "\n")
    return dst


def copy_tokenizer(d):
    for f in TOKENIZER_FILES:
        shutil.copy(TOKENIZER_DIR / f, d / f)


def save(model, d, safe):
    d.mkdir(parents=True, exist_ok=True)
    t = time.time()
    model.save_pretrained(d, safe_serialization=safe, max_shard_size="100GB")
    copy_tokenizer(d)
    files = sorted(p.name for p in d.iterdir())
    print(f"  {d.name}: {files} in {time.time() - t:.0f} s", flush=True)


def prepare(out: Path, need_gib: int, refusal: str):
    """2 torch threads; `out` created; stop with `refusal` when it has under `need_gib` GiB free."""
    import torch
    torch.set_num_threads(2)
    out.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(out).free
    print(f"free space at {out}: {free / 2**30:.1f} GiB", flush=True)
    if free < need_gib * 2**30:
        raise SystemExit(refusal)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=REPO / "bench-out")
    ap.add_argument("--only", action="append", choices=["st", "bin", "bf16", "gguf", "gguf-f32"])
    ap.add_argument("--llama-cpp-dir", type=Path, default=Path("/work/llama.cpp"))
    a = ap.parse_args(argv)
    parts = a.only or ["st", "bin", "bf16", "gguf"]
    import torch
    prepare(a.out, 20, "need about 16 GiB free for all outputs")

    if {"st", "bin", "bf16"} & set(parts):
        t = time.time()
        sd = make_state_dict()
        n = sum(v.numel() for v in sd.values())
        print(f"  {len(sd)} tensors, {n:,} parameters, drawn in {time.time() - t:.0f} s", flush=True)
        if "st" in parts or "bin" in parts:
            m32 = hf_model(sd, torch.float32)
            if "st" in parts:
                save(m32, a.out / "mpt1b-f32-st", safe=True)
            if "bin" in parts:
                save(m32, a.out / "mpt1b-f32-bin", safe=False)
            del m32
        if "bf16" in parts:
            save(hf_model(sd, torch.bfloat16), a.out / "mpt1b-bf16", safe=True)
        del sd
    for name in ("mpt1b-f32-st", "mpt1b-bf16"):
        if (a.out / name / "config.json").is_file():
            llama_cpp_staging(a.out / name)
    if "gguf" in parts:
        src = a.out / "mpt1b-f32-st-llamacpp"
        out = a.out / "mpt1b-f16.gguf"
        t = time.time()
        subprocess.run([sys.executable, str(a.llama_cpp_dir / "convert_hf_to_gguf.py"), str(src),
                        "--outtype", "f16", "--outfile", str(out)], check=True,
                       stdout=subprocess.DEVNULL)
        print(f"  {out.name}: {out.stat().st_size:,} bytes in {time.time() - t:.0f} s", flush=True)
    if "gguf-f32" in parts:  # the F32 GGUF llama.cpp's forward is compared on (bench/forward_inplace.sh)
        src = a.out / ("mpt1b-f32-st-llamacpp" if (a.out / "mpt1b-f32-st-llamacpp").is_dir() else "mpt1b-bf16-llamacpp")
        out = a.out / "mpt1b-f32.gguf"
        subprocess.run([sys.executable, str(a.llama_cpp_dir / "convert_hf_to_gguf.py"), str(src),
                        "--outtype", "f32", "--outfile", str(out)], check=True, stdout=subprocess.DEVNULL)
        print(f"  {out.name}: {out.stat().st_size:,} bytes", flush=True)
    sizes = {p.name: sum(f.stat().st_size for f in ([p] if p.is_file() else p.rglob('*')) if f.is_file())
             for p in sorted(a.out.iterdir()) if p.name.startswith("mpt1b") and not p.name.endswith("-llamacpp")}
    print(json.dumps(sizes, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
