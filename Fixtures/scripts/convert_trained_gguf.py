#!/usr/bin/env python3
"""Convert an HF-saved MPT fixture (e.g. models/mpt-trained-d256) to GGUF with llama.cpp's
own convert_hf_to_gguf.py, working around its two refusals:

1. It registers only MosaicML's spelling "MPTForCausalLM"; transformers writes
   "MptForCausalLM" -> "Model MptForCausalLM is not supported".  We convert a staging dir of
   symlinks whose config.json differs only in that spelling.
2. It recognizes a BPE tokenizer only by a hash of the ids it gives on a fixed test text, so a
   tokenizer trained here is refused: "BPE pre-tokenizer was not recognized - update
   get_vocab_base_pre()" (MPTModel.set_vocab then falls back to sentencepiece and fails on the
   missing tokenizer.model).  Our tokenizer uses the GPT-2/GPT-NeoX ByteLevel regex, which is
   llama.cpp's "mpt" (= "gpt-2") pre-tokenizer, so with --pre mpt (default) the hash check
   returns "mpt".  Pass --pre none to see the stock converter's error.

    python3 Fixtures/scripts/convert_trained_gguf.py --llama-cpp-dir .../vendor/llama.cpp \
        Fixtures/models/mpt-trained-d256 --outtype f32 --outfile /tmp/trained-f32.gguf
"""

from __future__ import annotations

import argparse
import json
import runpy
import sys
import tempfile
from pathlib import Path


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", type=Path)
    ap.add_argument("--llama-cpp-dir", type=Path, required=True)
    ap.add_argument("--outtype", default="f32")
    ap.add_argument("--outfile", type=Path, required=True)
    ap.add_argument("--pre", default="mpt", help='tokenizer.ggml.pre to use, or "none" for the stock check')
    args = ap.parse_args()

    lcpp = args.llama_cpp_dir.resolve()
    with tempfile.TemporaryDirectory() as tmp:
        stage = Path(tmp) / args.model.name
        stage.mkdir()
        for f in args.model.resolve().iterdir():
            if f.is_file() and f.name != "config.json":
                (stage / f.name).symlink_to(f)
        cfg = json.loads((args.model / "config.json").read_text())
        if cfg.get("architectures") == ["MptForCausalLM"]:
            cfg["architectures"] = ["MPTForCausalLM"]
        (stage / "config.json").write_text(json.dumps(cfg, indent=2) + "\n")

        sys.path.insert(0, str(lcpp / "gguf-py"))
        sys.path.insert(0, str(lcpp))
        if args.pre != "none":
            import conversion.base as base
            base.TextModel.get_vocab_base_pre = lambda self, tokenizer: args.pre
        sys.argv = [str(lcpp / "convert_hf_to_gguf.py"), str(stage), "--outtype", args.outtype,
                    "--outfile", str(args.outfile)]
        runpy.run_path(str(lcpp / "convert_hf_to_gguf.py"), run_name="__main__")


if __name__ == "__main__":
    main()
