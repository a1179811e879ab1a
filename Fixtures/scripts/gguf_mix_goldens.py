#!/usr/bin/env python3
"""Goldens of llama-quantize's per-tensor type choice for arch `mpt` (Fixtures/goldens/gguf_mix/).

For each case an MPT checkpoint (a committed fixture, or a synthetic one written here with
random weights: only names and shapes matter) is converted to an F32 GGUF with MPTKit's
`mpt-convert --dtype f32`, then `llama-quantize IN OUT FTYPE` runs for every file type
MPTKit accepts. Each golden records the F32 input's tensors (name, dims innermost first) and,
per file type, `general.file_type`, every tensor's ggml type name, and llama-quantize's
"N of M tensor(s) required fallback quantization" count.

llama-quantize is the one built from the llama.cpp that llama-cpp-python 0.3.36 vendors
(Fixtures/scripts/build_llama_tools.sh). Usage (Python with numpy, safetensors, gguf 0.19.0):

    swift build --product mpt-convert
    python3 Fixtures/scripts/gguf_mix_goldens.py \\
        [--llama-quantize /work/llama-tools/bin/llama-quantize] [--mpt-convert .build/debug/mpt-convert]

Deterministic: the synthetic weights use fixed seeds, and llama-quantize's type choice does
not depend on the values anyway.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np
from gguf import GGUFReader
from safetensors.numpy import save_file

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FILE_TYPES = ["q4_0", "q4_1", "q5_0", "q5_1", "q8_0", "q2_k", "q3_k_s", "q3_k_m", "q3_k_l",
              "q4_k_s", "q4_k_m", "q5_k_s", "q5_k_m", "q6_k", "iq4_nl", "iq4_xs", "iq3_s"]  # iq3_xxs needs an imatrix: imatrix_quant_goldens.py

# Synthetic MPTs: d_model 256 so the K-quants apply; ffn widths 800 (a multiple of 32, not of
# 256: the 256-block types fall back to their 32-block stand-ins) and 808 (not a multiple of 32:
# F16); 16 layers so use_more_bits and Q3_K_M's n/16 rule both show; an untied head with biases
# and learned positions (MPT has them only without ALiBi).
SYNTHETIC = {
    "synthetic-d256-l16-untied-bias": dict(d_model=256, n_heads=4, n_layers=16, ffn=1024, vocab=320,
                                           tied=False, bias=True, alibi=False),
    "synthetic-d256-l12-ffn800": dict(d_model=256, n_heads=4, n_layers=12, ffn=800, vocab=512,
                                      tied=True, bias=False, alibi=True),
    "synthetic-d256-l2-ffn808": dict(d_model=256, n_heads=4, n_layers=2, ffn=808, vocab=320,
                                     tied=True, bias=False, alibi=True),
}
COMMITTED = ["mpt-4h-f32", "mpt-trained-d256"]


def write_synthetic(directory, spec, seed):
    """An MPT checkpoint (config.json + model.safetensors) with the spec's shapes."""
    rng = np.random.default_rng(seed)
    d, ffn, vocab = spec["d_model"], spec["ffn"], spec["vocab"]

    def w(*shape):
        return (rng.standard_normal(shape) * 0.02).astype(np.float32)

    tensors = {"transformer.wte.weight": w(vocab, d), "transformer.norm_f.weight": np.ones(d, np.float32)}
    if not spec["alibi"]:
        tensors["transformer.wpe.weight"] = w(64, d)
    if spec["bias"]:
        tensors["transformer.norm_f.bias"] = np.zeros(d, np.float32)
    for layer in range(spec["n_layers"]):
        p = f"transformer.blocks.{layer}."
        parts = {"norm_1": (d,), "attn.Wqkv": (3 * d, d), "attn.out_proj": (d, d), "norm_2": (d,),
                 "ffn.up_proj": (ffn, d), "ffn.down_proj": (d, ffn)}
        for name, shape in parts.items():
            tensors[p + name + ".weight"] = np.ones(shape, np.float32) if len(shape) == 1 else w(*shape)
            if spec["bias"]:
                tensors[p + name + ".bias"] = np.zeros(shape[0], np.float32)
    if not spec["tied"]:
        tensors["lm_head.weight"] = w(vocab, d)
    config = {
        "architectures": ["MptForCausalLM"], "model_type": "mpt", "d_model": d, "n_heads": spec["n_heads"],
        "n_layers": spec["n_layers"], "expansion_ratio": ffn / d, "max_seq_len": 64, "vocab_size": vocab,
        "learned_pos_emb": True, "no_bias": not spec["bias"], "layer_norm_epsilon": 1e-5,
        "norm_type": "low_precision_layernorm", "tie_word_embeddings": spec["tied"],
        "attn_config": {"alibi": spec["alibi"], "alibi_bias_max": 8, "attn_type": "multihead_attention",
                        "clip_qkv": None, "qk_ln": False, "softmax_scale": None},
    }
    os.makedirs(directory)
    save_file(tensors, os.path.join(directory, "model.safetensors"))
    with open(os.path.join(directory, "config.json"), "w") as f:
        json.dump(config, f, indent=2)


def tensor_types(path):
    reader = GGUFReader(path)
    file_type = int(reader.fields["general.file_type"].parts[-1][0])
    return file_type, {t.name: t.tensor_type.name for t in reader.tensors}


def golden(name, model_dir, args, work, spec=None):
    f32 = os.path.join(work, name + "-f32.gguf")
    subprocess.run([args.mpt_convert, model_dir, f32, "--dtype", "f32", "--force"], check=True,
                   stdout=subprocess.DEVNULL)
    reader = GGUFReader(f32)
    block_count = int(reader.fields["mpt.block_count"].parts[-1][0])
    tensors = [{"name": t.name, "dims_innermost_first": [int(x) for x in t.shape]} for t in reader.tensors]
    out = {"fixture": name, "generator": "Fixtures/scripts/gguf_mix_goldens.py",
           "llama_quantize": "llama.cpp vendored by llama-cpp-python 0.3.36 (no imatrix)",
           "input": "mpt-convert --dtype f32", "synthetic_spec": spec, "block_count": block_count, "tensors": tensors, "file_types": {}}
    for file_type in FILE_TYPES:
        target = os.path.join(work, f"{name}-{file_type}.gguf")
        run = subprocess.run([args.llama_quantize, f32, target, file_type.upper(), "2"],
                             capture_output=True, text=True)
        if run.returncode != 0:
            sys.exit(f"llama-quantize {file_type} failed on {name}:\n{run.stderr[-2000:]}")
        match = re.search(r"(\d+) of (\d+) tensor\(s\) required fallback", run.stdout + run.stderr)
        number, types = tensor_types(target)
        out["file_types"][file_type] = {"general.file_type": number, "fallbacks": int(match.group(1)) if match else 0,
                                        "types": types}
        os.remove(target)
    os.remove(f32)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--llama-quantize", default="/work/llama-tools/bin/llama-quantize")
    parser.add_argument("--mpt-convert", default=os.path.join(ROOT, ".build/debug/mpt-convert"))
    parser.add_argument("--out", default=os.path.join(ROOT, "Fixtures/goldens/gguf_mix"))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    work = tempfile.mkdtemp(prefix="gguf-mix-")
    try:
        cases = [(name, os.path.join(ROOT, "Fixtures/models", name), None) for name in COMMITTED
                 if os.path.isdir(os.path.join(ROOT, "Fixtures/models", name))]
        for seed, (name, spec) in enumerate(SYNTHETIC.items()):
            directory = os.path.join(work, name)
            write_synthetic(directory, spec, seed)
            cases.append((name, directory, spec))
        for name, directory, spec in cases:
            result = golden(name, directory, args, work, spec)
            with open(os.path.join(args.out, name + ".json"), "w") as f:
                json.dump(result, f, indent=1, sort_keys=False)
                f.write("\n")
            print(f"{name}: {len(result['tensors'])} tensors x {len(FILE_TYPES)} file types")
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
