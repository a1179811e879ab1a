#!/usr/bin/env python3
"""MPTKit GGUF writer vs llama.cpp, for Fixtures/models/mpt-neox-tok-f16.

Two jobs:

1. --write-goldens: run llama.cpp's own converter (convert_hf_to_gguf.py, outtypes f32 and
   q8_0; q4_0 = llama-quantize of the f32 file through llama-cpp-python) on a temporary copy
   of the fixture and record what it wrote in
   Fixtures/goldens/gguf_mpt/<model>.json: every metadata value (arrays as count, head, tail
   and an FNV-1a-64 checksum), every tensor's type, shape and FNV-1a-64 of its bytes.  The
   Swift tests (GGUFExportTests) compare MPTKit's output with this golden.
   The converter only registers the architecture name "MPTForCausalLM" (llm-foundry's
   spelling), so the copy's config.json says that instead of HF's "MptForCausalLM".

2. --check OURS.gguf ...: for each of our files,
   * gguf.GGUFReader reads every tensor and gguf.quants dequantizes it;
   * llama_cpp.Llama(model_path=..., logits_all=True) loads it and evaluates the fixture's
     reference/tokens.json; the logits are compared with HF's reference/logits_f64.npy
     (rel-L2 = ||x - ref|| / ||ref||) and with llama.cpp's own converter output
     (reference/llamacpp_<outtype>_logits.npy, written by llama_cpp_reference.py, or computed
     here from a fresh conversion when absent; Q4_0 is llama-quantize's Q4_0 of the converter's
     F32 file, made through llama-cpp-python's llama_model_quantize).

    python3 Fixtures/scripts/check_gguf_llamacpp.py --write-goldens
    mpt-convert Fixtures/models/mpt-neox-tok-f16 /tmp/n-f32.gguf --dtype f32
    mpt-convert Fixtures/models/mpt-neox-tok-f16 /tmp/n-q8_0.gguf --quant q8_0
    mpt-convert Fixtures/models/mpt-neox-tok-f16 /tmp/n-q4_0.gguf --quant q4_0
    python3 Fixtures/scripts/check_gguf_llamacpp.py --check /tmp/n-f32.gguf /tmp/n-q8_0.gguf /tmp/n-q4_0.gguf
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

FIXTURES = Path(__file__).resolve().parent.parent
DEFAULT_MODEL = FIXTURES / "models" / "mpt-neox-tok-f16"
GOLDENS = FIXTURES / "goldens" / "gguf_mpt"
LLAMA_CPP = Path("/work/llama.cpp")

FNV_OFFSET = 0xCBF29CE484222325
FNV_PRIME = 0x100000001B3


def fnv1a64(data: bytes) -> str:
    h = FNV_OFFSET
    for b in data:
        h = ((h ^ b) * FNV_PRIME) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


def fnv1a64_np(data: np.ndarray) -> str:
    return fnv1a64(data.tobytes())


def array_checksum(values) -> str:
    """Strings as UTF-8 and integers/floats as their repr, each followed by a 0 byte."""
    out = bytearray()
    for v in values:
        if isinstance(v, str):
            out += v.encode("utf-8")
        elif isinstance(v, bool):
            out += b"true" if v else b"false"
        else:
            out += repr(v).encode()
        out += b"\0"
    return fnv1a64(bytes(out))


def rel_l2(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def describe_gguf(path: Path) -> dict:
    import gguf
    reader = gguf.GGUFReader(str(path))
    metadata = {}
    for key, field in reader.fields.items():
        if key.startswith("GGUF."):
            continue
        value = field.contents()
        vtype = gguf.GGUFValueType(field.types[0]).name
        if isinstance(value, list):
            etype = gguf.GGUFValueType(field.types[-1]).name
            metadata[key] = {"type": vtype, "element_type": etype, "count": len(value),
                             "head": value[:5], "tail": value[-5:], "fnv1a64": array_checksum(value)}
        else:
            if isinstance(value, float):
                value = float(np.float32(value))
            metadata[key] = {"type": vtype, "value": value}
    tensors = []
    for t in reader.tensors:
        raw = np.asarray(t.data).view(np.uint8)
        tensors.append({"name": t.name, "type": t.tensor_type.name,
                        "dims_innermost_first": [int(d) for d in t.shape],
                        "bytes": int(raw.size), "fnv1a64": fnv1a64_np(raw)})
    return {"metadata": metadata, "tensors": tensors}


def convert_with_llama_cpp(model_dir: Path, outtype: str, out: Path, llama_cpp: Path):
    with tempfile.TemporaryDirectory(prefix="mpt-conv-") as tmp:
        copy = Path(tmp) / model_dir.name
        shutil.copytree(model_dir, copy, ignore=shutil.ignore_patterns("reference"))
        config = json.loads((copy / "config.json").read_text())
        config["architectures"] = ["MPTForCausalLM"]
        (copy / "config.json").write_text(json.dumps(config, indent=1))
        env = {"PYTHONPATH": str(llama_cpp / "gguf-py")}
        import os
        env = {**os.environ, **env}
        cmd = [sys.executable, str(llama_cpp / "convert_hf_to_gguf.py"), str(copy),
               "--outtype", outtype, "--outfile", str(out)]
        r = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if r.returncode != 0:
            sys.stderr.write(r.stdout[-3000:] + r.stderr[-3000:])
            raise SystemExit(f"convert_hf_to_gguf.py --outtype {outtype} failed")


def write_goldens(model_dir: Path, llama_cpp: Path):
    GOLDENS.mkdir(parents=True, exist_ok=True)
    result = {"model": model_dir.name,
              "generator": "Fixtures/scripts/check_gguf_llamacpp.py --write-goldens",
              "converter": "llama.cpp convert_hf_to_gguf.py (" + str(llama_cpp) + ")",
              "checksum": "FNV-1a 64 (offset 0xcbf29ce484222325, prime 0x100000001b3); arrays: each "
                          "element as UTF-8 (strings) or repr (numbers) followed by a 0 byte",
              "outtypes": {}}
    with tempfile.TemporaryDirectory(prefix="mpt-gguf-golden-") as tmp:
        for outtype in ("f32", "q8_0", "q4_0"):
            out = Path(tmp) / f"{outtype}.gguf"
            if outtype == "q4_0":
                quantize_q4_0(Path(tmp) / "f32.gguf", out)
            else:
                convert_with_llama_cpp(model_dir, outtype, out, llama_cpp)
            result["outtypes"][outtype] = describe_gguf(out)
            print(f"{outtype}: {len(result['outtypes'][outtype]['tensors'])} tensors")
    path = GOLDENS / f"{model_dir.name}.json"
    path.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {path}")


def llama_logits(path: Path, tokens):
    from llama_cpp import Llama
    llm = Llama(model_path=str(path), logits_all=True, n_ctx=64, n_batch=64,
                n_threads=2, n_threads_batch=2, verbose=False)
    llm.reset()
    llm.eval(tokens)
    return np.array(llm.scores[: len(tokens)], dtype=np.float32)


def quantize_q4_0(source: Path, target: Path):
    """llama-quantize Q4_0 (default mixture: output head Q6_K, the rest Q4_0) via llama-cpp-python."""
    import llama_cpp
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = llama_cpp.LLAMA_FTYPE_MOSTLY_Q4_0
    params.nthread = 2
    status = llama_cpp.llama_model_quantize(str(source).encode(), str(target).encode(), params)
    if status != 0:
        raise SystemExit(f"llama_model_quantize failed ({status})")


def check(files, model_dir: Path, llama_cpp: Path):
    import gguf
    from gguf.quants import dequantize
    ref = model_dir / "reference"
    tokens = json.loads((ref / "tokens.json").read_text())
    hf = np.load(ref / "logits_f64.npy")
    ok = True
    rows = []
    for f in files:
        f = Path(f)
        reader = gguf.GGUFReader(str(f))
        for t in reader.tensors:
            values = dequantize(np.asarray(t.data), t.tensor_type)
            assert np.isfinite(values).all(), f"{f}: {t.name} has non-finite values"
        ftype = reader.fields["general.file_type"].contents()
        outtype = {0: "f32", 1: "f16", 32: "bf16", 7: "q8_0", 2: "q4_0"}[ftype]
        print(f"{f.name}: gguf.GGUFReader read and dequantized all {len(reader.tensors)} tensors ({outtype})")
        try:
            ours = llama_logits(f, tokens)
        except ImportError:
            print("  llama_cpp is not installed; skipping the llama.cpp load")
            continue
        theirs_path = ref / f"llamacpp_{outtype}_logits.npy"
        theirs = np.load(theirs_path) if theirs_path.is_file() else None
        if theirs is None:
            with tempfile.TemporaryDirectory() as tmp:
                out = Path(tmp) / "theirs.gguf"
                if outtype == "q4_0":
                    # The converter has no Q4_0; llama.cpp makes it with llama-quantize from F32.
                    f32 = Path(tmp) / "theirs-f32.gguf"
                    convert_with_llama_cpp(model_dir, "f32", f32, llama_cpp)
                    quantize_q4_0(f32, out)
                else:
                    convert_with_llama_cpp(model_dir, outtype, out, llama_cpp)
                theirs = llama_logits(out, tokens)
        ours_rel = rel_l2(ours, hf)
        theirs_rel = rel_l2(theirs, hf) if theirs is not None else float("nan")
        vs_theirs = rel_l2(ours, theirs) if theirs is not None else float("nan")
        rows.append((f.name, outtype, ours_rel, theirs_rel, vs_theirs))
        if theirs is not None and ours_rel > theirs_rel * 1.05 + 1e-6:
            ok = False
    if rows:
        print(f"{'file':28s} {'type':5s} {'ours vs HF':>11s} {'llama.cpp conv vs HF':>21s} {'ours vs conv':>13s}")
        for name, outtype, a, b, c in rows:
            print(f"{name:28s} {outtype:5s} {a:11.3e} {b:21.3e} {c:13.3e}")
    return 0 if ok else 1


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model-dir", type=Path, default=DEFAULT_MODEL)
    ap.add_argument("--llama-cpp-dir", type=Path, default=LLAMA_CPP)
    ap.add_argument("--write-goldens", action="store_true")
    ap.add_argument("--check", nargs="*", default=[])
    a = ap.parse_args(argv)
    if a.write_goldens:
        write_goldens(a.model_dir, a.llama_cpp_dir)
    if a.check:
        return check(a.check, a.model_dir, a.llama_cpp_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
