#!/usr/bin/env python3
"""llama.cpp runs every GGUF file type MPTKit writes, as well as llama-quantize's own file.

For the trained fixture (Fixtures/models/mpt-trained-d256) and every llama-quantize file type:

  * theirs: llama.cpp's converter writes the F32 GGUF (Fixtures/scripts/convert_trained_gguf.py),
    `llama-quantize F32 THEIRS TYPE 2` quantizes it;
  * ours:   `mpt-convert MODEL OURS --quant TYPE` straight from the bf16 safetensors;
  * llama.cpp evaluates the fixture's reference/tokens.json (32 tokens of heldout.txt) in one
    batch with every position's logits (Fixtures/scripts/llama_logits, a C harness linked against
    the libllama/libggml that llama-cpp-python 0.3.36 vendors; it stands in for
    `Llama(model_path, logits_all=True)`), 2 threads;
  * rel-L2 = ||logits - ref|| / ||ref|| over all [32, 8192] logits, ref = reference/logits_f64.npy
    (the bf16 weights run in float64 by the patched HF forward, Fixtures/scripts/train_fixture.py).

Pass rule: rel-L2(ours) <= 1.01 x rel-L2(theirs) for every type (exit 1 otherwise). Writes the
table to Fixtures/goldens/gguf_files/llama_cpp_logits.json (small; the GGUFs stay in a temp dir).

    Fixtures/scripts/llama_logits/build.sh $LLAMA_CPP /work/llama-tools/src/build /tmp/llama_logits
    swift build -c release --product mpt-convert
    python3 Fixtures/scripts/gguf_file_logits.py --llama-logits /tmp/llama_logits \\
        --mpt-convert .build/release/mpt-convert
"""

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIXTURE = "mpt-trained-d256"
FILE_TYPES = ["q4_0", "q4_1", "q5_0", "q5_1", "q8_0", "q2_k", "q3_k_s", "q3_k_m", "q3_k_l",
              "q4_k_s", "q4_k_m", "q5_k_s", "q5_k_m", "q6_k", "iq4_nl", "iq4_xs"]
LLAMA_CPP = "/work/llama-tools/src/llama_cpp_python-0.3.36/vendor/llama.cpp"
MAX_RATIO = 1.01


def rel_l2(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def tensor_digest(path):
    """SHA-256 over (name, type, bytes) of every tensor, sorted by name: equal for byte-identical tensors."""
    from gguf import GGUFReader
    h = hashlib.sha256()
    for t in sorted(GGUFReader(path).tensors, key=lambda t: t.name):
        h.update(t.name.encode() + b"\0" + t.tensor_type.name.encode() + b"\0" + t.data.tobytes())
    return h.hexdigest()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--llama-cpp-dir", default=LLAMA_CPP)
    parser.add_argument("--llama-quantize", default="/work/llama-tools/bin/llama-quantize")
    parser.add_argument("--llama-logits", required=True)
    parser.add_argument("--mpt-convert", default=os.path.join(ROOT, ".build/release/mpt-convert"))
    parser.add_argument("--out", default=os.path.join(ROOT, "Fixtures/goldens/gguf_files/llama_cpp_logits.json"))
    args = parser.parse_args()
    model = os.path.join(ROOT, "Fixtures/models", FIXTURE)
    tokens = os.path.join(model, "reference/tokens.json")
    reference = np.load(os.path.join(model, "reference/logits_f64.npy"))
    work = tempfile.mkdtemp(prefix="gguf-logits-")

    def logits(path):
        out = path + ".npy"
        subprocess.run([args.llama_logits, path, tokens, out, "2"], check=True)
        values = np.load(out)
        if values.shape != reference.shape:
            sys.exit(f"{path}: logits {values.shape}, reference {reference.shape}")
        return values

    try:
        f32 = os.path.join(work, "f32.gguf")
        subprocess.run([sys.executable, os.path.join(ROOT, "Fixtures/scripts/convert_trained_gguf.py"),
                        "--llama-cpp-dir", args.llama_cpp_dir, model, "--outtype", "f32", "--outfile", f32],
                       check=True, capture_output=True)
        result = {"fixture": FIXTURE, "generator": "Fixtures/scripts/gguf_file_logits.py",
                  "evaluator": "Fixtures/scripts/llama_logits (libllama of llama-cpp-python 0.3.36's vendored llama.cpp, 2 threads)",
                  "tokens": "reference/tokens.json (32)", "reference": "reference/logits_f64.npy",
                  "metric": "rel-L2 over all [32, 8192] logits", "pass_rule": f"ours <= {MAX_RATIO} x theirs",
                  "f32_llama_converter": rel_l2(logits(f32), reference), "file_types": {}}
        failed = []
        print(f"{'type':8} {'ours':>10} {'theirs':>10} {'ratio':>7}  tensors")
        for file_type in FILE_TYPES:
            theirs = os.path.join(work, f"theirs-{file_type}.gguf")
            ours = os.path.join(work, f"ours-{file_type}.gguf")
            subprocess.run([args.llama_quantize, f32, theirs, file_type.upper(), "2"], check=True, capture_output=True)
            subprocess.run([args.mpt_convert, model, ours, "--quant", file_type], check=True, capture_output=True)
            ours_l2, theirs_l2 = rel_l2(logits(ours), reference), rel_l2(logits(theirs), reference)
            ratio = ours_l2 / theirs_l2
            identical = tensor_digest(ours) == tensor_digest(theirs)
            result["file_types"][file_type] = {"rel_l2_ours": ours_l2, "rel_l2_llama_quantize": theirs_l2,
                                               "ratio": ratio, "tensors_byte_identical": identical}
            print(f"{file_type:8} {ours_l2:10.6f} {theirs_l2:10.6f} {ratio:7.4f}  {'identical' if identical else 'DIFFER'}")
            if ratio > MAX_RATIO:
                failed.append(file_type)
            os.remove(theirs)
            os.remove(ours)
        with open(args.out, "w") as f:
            json.dump(result, f, indent=1)
            f.write("\n")
        if failed:
            sys.exit(f"rel-L2 above {MAX_RATIO} x llama-quantize's for: {', '.join(failed)}")
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
