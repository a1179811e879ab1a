#!/usr/bin/env python3
"""Create the MPT-30B-shaped memory benchmark model (2 layers, random weights) under bench-out/.

    /work/venv-pinned/bin/python bench/make_mpt30b_shape.py [--out bench-out] [--only st|bin ...]

MPT-30B's real tensor sizes with only 2 of its 48 blocks: d_model 7168, 64 heads,
expansion_ratio 4 (ffn 28672), vocab 50432, max_seq_len 8192, ALiBi (bias max 8), no
biases, tied embeddings: the 50432 x 7168 embedding (723 MB in bf16) and per block the
21504 x 7168 Wqkv and the 28672 x 7168 up/down projections (411 MB each). 1.60 B
parameters (HF MptForCausalLM naming). Outputs (bench-out/ is git-ignored):

    mpt30b-shape/      model.safetensors   (bfloat16, ~3.2 GB) + config + tokenizer
    mpt30b-shape-bin/  pytorch_model.bin   (bfloat16, ~3.2 GB; HF writes the tied lm_head.weight
                       as a second reference to wte's storage) + config + tokenizer

bench/forward_memory.sh measures the peak RSS of mpt-verify / mpt-convert on it (issue 17:
a weight is used in place and its pages released, so peak RSS stays near one tensor, not the
model). Weights are drawn as bench/make_mpt1b.py draws them (width-scaled normals, LayerNorm
weights 1 + N(0, 0.1), torch.Generator seeded per tensor), directly in bfloat16 tensor by tensor
so the script itself needs about one model's size of memory.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_mpt1b  # noqa: E402  (shares the tokenizer copy and the weight recipe)

SHAPE = dict(d_model=7168, n_heads=64, n_layers=2, vocab_size=50432, expansion_ratio=4,
             max_seq_len=8192)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=make_mpt1b.REPO / "bench-out")
    ap.add_argument("--only", action="append", choices=["st", "bin"])
    a = ap.parse_args(argv)
    parts = a.only or ["st", "bin"]
    import torch
    make_mpt1b.prepare(a.out, 8, "need about 7 GiB free for both outputs")
    make_mpt1b.SHAPE.update(SHAPE)  # make_state_dict / mpt_config read the shape from there
    t = time.time()
    sd = {k: v.to(torch.bfloat16) for k, v in make_mpt1b.make_state_dict().items()}
    n = sum(v.numel() for v in sd.values())
    print(f"  {len(sd)} tensors, {n:,} parameters, drawn in {time.time() - t:.0f} s", flush=True)
    model = make_mpt1b.hf_model(sd, torch.bfloat16)
    del sd
    if "st" in parts:
        make_mpt1b.save(model, a.out / "mpt30b-shape", safe=True)
    if "bin" in parts:
        make_mpt1b.save(model, a.out / "mpt30b-shape-bin", safe=False)
    sizes = {p.name: sum(f.stat().st_size for f in p.rglob("*") if f.is_file())
             for p in sorted(a.out.iterdir()) if p.name.startswith("mpt30b-shape") and p.is_dir()}
    print(json.dumps(sizes, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
