#!/usr/bin/env python3
"""Per-tensor goldens of `llama-quantize --imatrix` on the trained fixture (issue 18), and a
whole-file comparison of MPTKit's `mpt-convert --imatrix` against it.

The F32 GGUF of Fixtures/models/mpt-trained-d256 comes from llama.cpp's own converter
(convert_trained_gguf.py); the imatrix is the committed llama-imatrix golden
(Fixtures/goldens/imatrix/trained.imatrix.gguf, made by imatrix_goldens.sh). For every file type,
`llama-quantize --imatrix IMATRIX F32.gguf OUT.gguf TYPE` (llama-cpp-python 0.3.36's llama.cpp,
/work/llama-tools/bin) runs, and goldens/imatrix/quantized.json records each tensor's ggml type
and the SHA-256 of its bytes.

    python3 Fixtures/scripts/imatrix_quant_goldens.py                 # write the golden
    python3 Fixtures/scripts/imatrix_quant_goldens.py --check MPT_CONVERT [--legacy]
        # also run MPT_CONVERT F32.gguf OUT.gguf --quant TYPE --imatrix IMATRIX (GGUF -> GGUF, the
        # very input llama-quantize read) and from the safetensors directory, and compare every
        # tensor's type and bytes with llama-quantize's file (gguf.GGUFReader); --legacy uses the
        # .dat golden for both tools; --types iq3_xxs,iq3_s checks only those.

Python: /work/venv-pinned (numpy, gguf 0.19.0).
"""
import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile

from gguf import GGUFReader

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
LLAMA = "/work/llama-tools"
LLAMA_CPP = f"{LLAMA}/src/llama_cpp_python-0.3.36/vendor/llama.cpp"
MODEL = "Fixtures/models/mpt-trained-d256"
FILE_TYPES = ["q4_0", "q4_1", "q5_0", "q5_1", "q8_0", "q2_k", "q3_k_s", "q3_k_m", "q3_k_l",
              "q4_k_s", "q4_k_m", "q5_k_s", "q5_k_m", "q6_k", "iq4_nl", "iq4_xs", "iq3_xxs", "iq3_s"]


def tensors(path):
    reader = GGUFReader(path)
    return {t.name: (t.tensor_type.name, bytes(t.data.tobytes())) for t in reader.tensors}


def run(command):
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"failed: {' '.join(command)}\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", metavar="MPT_CONVERT")
    ap.add_argument("--legacy", action="store_true")
    ap.add_argument("--types", help="with --check: only these comma-separated file types")
    args = ap.parse_args()
    if args.types and not args.check:
        sys.exit("--types needs --check (the golden always covers every file type)")
    file_types = args.types.split(",") if args.types else FILE_TYPES
    os.chdir(ROOT)
    imatrix = "Fixtures/goldens/imatrix/trained.imatrix." + ("dat" if args.legacy else "gguf")
    with tempfile.TemporaryDirectory() as work:
        f32 = os.path.join(work, "trained-f32.gguf")
        run([sys.executable, "Fixtures/scripts/convert_trained_gguf.py", "--llama-cpp-dir", LLAMA_CPP, MODEL,
             "--outtype", "f32", "--outfile", f32])
        golden = {"generator": "llama-quantize --imatrix of llama-cpp-python 0.3.36's llama.cpp",
                  "input": "convert_trained_gguf.py " + MODEL + " --outtype f32",
                  "imatrix": imatrix, "file_types": {}}
        mismatches = 0
        for file_type in file_types:
            theirs = os.path.join(work, f"llama-{file_type}.gguf")
            run([f"{LLAMA}/bin/llama-quantize", "--imatrix", imatrix, f32, theirs, file_type, "2"])
            expected = tensors(theirs)
            golden["file_types"][file_type] = {
                name: {"type": kind, "sha256": hashlib.sha256(data).hexdigest()} for name, (kind, data) in expected.items()}
            if not args.check:
                continue
            for label, source in (("gguf", f32), ("safetensors", MODEL)):
                ours = os.path.join(work, f"ours-{label}-{file_type}.gguf")
                run([args.check, source, ours, "--quant", file_type, "--imatrix", imatrix, "--force"])
                produced = tensors(ours)
                bad = [n for n in expected if produced.get(n) != expected[n]]
                extra = sorted(set(produced) - set(expected))
                mismatches += len(bad) + len(extra)
                status = "identical" if not bad and not extra else f"DIFFER: {bad + extra}"
                print(f"{file_type:8s} from {label:11s} {len(expected)} tensors {status}")
                os.remove(ours)
            os.remove(theirs)
        if not args.check and not args.legacy:
            path = "Fixtures/goldens/imatrix/quantized.json"
            with open(path, "w") as handle:
                json.dump(golden, handle, indent=1, sort_keys=True)
                handle.write("\n")
            print(f"wrote {path}")
        if args.check:
            print("all identical" if mismatches == 0 else f"{mismatches} tensors differ")
            sys.exit(1 if mismatches else 0)


if __name__ == "__main__":
    main()
