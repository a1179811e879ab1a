#!/usr/bin/env python3
"""Time the Python/C++ peers on the MPT-1b-shaped benchmark model (bench/make_mpt1b.py).

    python3 bench/peers.py PEER [--out bench-out]

Each PEER runs in a fresh child process; this process waits for it and prints
one JSON line:

    {"peer": ..., "seconds": wall time of the child (interpreter start, imports,
     load, work, write), "peak_rss_mb": the child's peak RSS (getrusage
     RUSAGE_CHILDREN ru_maxrss, includes touched mmap'd file pages), ...extras}

Python peers also report "inner_seconds" (the timed work only, measured inside
the child).  Peers:

    hf-forward        HF transformers MptForCausalLM float32 forward, 128 tokens, all logits,
                      torch.set_num_threads(2); input mpt1b-f32-st
    llamacpp-forward  llama-cpp-python on mpt1b-f16.gguf, 128 tokens, logits_all, n_threads=2
    bin-to-bf16       torch.load(mmap=True, weights_only=True) of mpt1b-f32-bin/pytorch_model.bin,
                      .to(bfloat16), safetensors.torch.save_file
    bnb-nf4           bitsandbytes (CPU) quantize_4bit(nf4, blocksize 64, double quant) of every
                      2-D weight of mpt1b-bf16, saved as transformers names its Linear4bit state
    gguf-q8_0         llama.cpp convert_hf_to_gguf.py --outtype q8_0 on mpt1b-bf16 (via the
                      mpt1b-bf16-llamacpp symlink dir: only the "architectures" spelling differs)
    quantize-q4_0     llama-quantize mpt1b-f16.gguf -> Q4_0 with 2 threads
    quantize-q4_0-api the same through llama-cpp-python's llama_model_quantize (no binary needed)

Tokens: bench/tokens128.json = [(i * 7919 + 11) % 50432 for i in range(128)]
(mpt-verify's default formula, 128 long).  Outputs go to bench-out/peer-out/.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"
TOKENS_FILE = BENCH / "tokens128.json"
LLAMA_CPP_DIR = Path(os.environ.get("LLAMA_CPP_DIR", "/work/llama.cpp"))
THREADS = 2


def tokens128():
    return [(i * 7919 + 11) % 50432 for i in range(128)]


def _tokens():
    if TOKENS_FILE.is_file():
        return json.loads(TOKENS_FILE.read_text())
    return tokens128()


def _rel_l2(a, b):
    import numpy as np
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


# --------------------------------------------------------------------------
# workers (run inside the measured child; return a dict of extras)
# --------------------------------------------------------------------------

def work_hf_forward(out: Path):
    import numpy as np
    import torch
    from transformers import MptForCausalLM
    torch.set_num_threads(THREADS)
    t0 = time.perf_counter()
    model = MptForCausalLM.from_pretrained(out / "mpt1b-f32-st", dtype=torch.float32).eval()
    t1 = time.perf_counter()
    ids = torch.tensor([_tokens()])
    with torch.no_grad():
        logits = model(ids, use_cache=False).logits[0].float().numpy()
    t2 = time.perf_counter()
    dst = out / "peer-out" / "hf_f32_logits_128.npy"
    np.save(dst, logits)
    return {"inner_seconds": t2 - t1, "load_seconds": t1 - t0, "logits_shape": list(logits.shape),
            "logits_file": str(dst.relative_to(out))}


def work_llamacpp_forward(out: Path):
    import numpy as np
    from llama_cpp import Llama
    toks = _tokens()
    t0 = time.perf_counter()
    llm = Llama(model_path=str(out / "mpt1b-f16.gguf"), logits_all=True, n_ctx=len(toks),
                n_batch=len(toks), n_ubatch=len(toks), n_threads=THREADS, n_threads_batch=THREADS,
                verbose=False)
    t1 = time.perf_counter()
    llm.eval(toks)
    logits = np.array(llm.scores[: len(toks)], dtype=np.float32)
    t2 = time.perf_counter()
    np.save(out / "peer-out" / "llamacpp_f16_logits_128.npy", logits)
    extra = {"inner_seconds": t2 - t1, "load_seconds": t1 - t0, "logits_shape": list(logits.shape)}
    hf = out / "peer-out" / "hf_f32_logits_128.npy"
    if hf.is_file():
        extra["rel_l2_vs_hf_f32"] = _rel_l2(logits, np.load(hf))
    return extra


def work_bin_to_bf16(out: Path):
    import torch
    from safetensors.torch import save_file
    dst_dir = out / "peer-out" / "bf16-from-bin"
    dst_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    sd = torch.load(out / "mpt1b-f32-bin" / "pytorch_model.bin", mmap=True, weights_only=True,
                    map_location="cpu")
    # safetensors refuses shared storage: drop aliases (HF's tied lm_head.weight), keep the first name
    seen, res = {}, {}
    for k, v in sd.items():
        key = (v.untyped_storage().data_ptr(), v.storage_offset(), tuple(v.shape), tuple(v.stride()))
        if key in seen:
            continue
        seen[key] = k
        res[k] = v.to(torch.bfloat16).contiguous()
    save_file(res, str(dst_dir / "model.safetensors"), metadata={"format": "pt"})
    t1 = time.perf_counter()
    return {"inner_seconds": t1 - t0, "tensors": len(res), "dropped_aliases": len(sd) - len(res),
            "output_bytes": (dst_dir / "model.safetensors").stat().st_size}


def work_bnb_nf4(out: Path, double_quant=True, blocksize=64):
    import torch
    import bitsandbytes.functional as F
    from safetensors import safe_open
    from safetensors.torch import save_file
    torch.set_num_threads(THREADS)
    dst_dir = out / "peer-out" / "nf4"
    dst_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    res, n_quant = {}, 0
    with safe_open(str(out / "mpt1b-bf16" / "model.safetensors"), framework="pt") as f:
        for k in f.keys():
            t = f.get_tensor(k)
            if t.dim() == 2 and k.endswith(".weight"):
                q, state = F.quantize_4bit(t, blocksize=blocksize, quant_type="nf4",
                                           compress_statistics=double_quant)
                res[k] = q
                for sk, sv in state.as_dict(packed=True).items():
                    res[f"{k}.{sk}"] = sv
                n_quant += 1
            else:
                res[k] = t
    t1 = time.perf_counter()
    save_file(res, str(dst_dir / "model.safetensors"), metadata={"format": "pt"})
    t2 = time.perf_counter()
    return {"inner_seconds": t2 - t0, "quantize_seconds": t1 - t0, "quantized_tensors": n_quant,
            "blocksize": blocksize, "double_quant": double_quant,
            "output_bytes": (dst_dir / "model.safetensors").stat().st_size}


def work_quantize_api(out: Path):
    """llama_model_quantize() through llama-cpp-python: the C function llama-quantize's main()
    calls (fallback when the llama-quantize binary is not built)."""
    import llama_cpp
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = llama_cpp.LLAMA_FTYPE_MOSTLY_Q4_0
    params.nthread = THREADS
    dst = out / "peer-out" / "mpt1b-q4_0-api.gguf"
    t0 = time.perf_counter()
    rc = llama_cpp.llama_model_quantize(str(out / "mpt1b-f16.gguf").encode(), str(dst).encode(), params)
    t1 = time.perf_counter()
    if rc != 0:
        raise SystemExit(f"llama_model_quantize returned {rc}")
    return {"inner_seconds": t1 - t0, "output_bytes": dst.stat().st_size}


WORKERS = {"quantize-q4_0-api": work_quantize_api, "hf-forward": work_hf_forward, "llamacpp-forward": work_llamacpp_forward,
           "bin-to-bf16": work_bin_to_bf16, "bnb-nf4": work_bnb_nf4}


# --------------------------------------------------------------------------
# external commands (the measured child is the tool itself)
# --------------------------------------------------------------------------

def find_llama_quantize():
    cands = [os.environ.get("LLAMA_QUANTIZE", ""), shutil.which("llama-quantize") or "",
             str(LLAMA_CPP_DIR / "build" / "bin" / "llama-quantize"),
             "/tmp/llama-build/bin/llama-quantize"]
    try:
        import llama_cpp
        cands.append(str(Path(llama_cpp.__file__).parent / "lib" / "llama-quantize"))
    except ImportError:
        pass
    for c in cands:
        if c and Path(c).is_file() and os.access(c, os.X_OK):
            return c
    raise SystemExit("llama-quantize not found: build it with cmake -S /work/llama.cpp -B /work/llama.cpp/build "
                     "-DLLAMA_CURL=OFF && cmake --build /work/llama.cpp/build --target llama-quantize, "
                     "or set LLAMA_QUANTIZE")


def external_command(peer, out: Path):
    po = out / "peer-out"
    if peer == "gguf-q8_0":
        dst = po / "mpt1b-q8_0.gguf"
        return [sys.executable, str(LLAMA_CPP_DIR / "convert_hf_to_gguf.py"), str(out / "mpt1b-bf16-llamacpp"),
                "--outtype", "q8_0", "--outfile", str(dst)], dst
    if peer == "quantize-q4_0":
        dst = po / "mpt1b-q4_0.gguf"
        return [find_llama_quantize(), str(out / "mpt1b-f16.gguf"), str(dst), "Q4_0", str(THREADS)], dst
    return None, None


# --------------------------------------------------------------------------
# measuring parent
# --------------------------------------------------------------------------

def measure(peer, out: Path):
    (out / "peer-out").mkdir(parents=True, exist_ok=True)
    argv, dst = external_command(peer, out)
    worker = argv is None
    if worker:
        argv = [sys.executable, str(Path(__file__).resolve()), "--worker", peer, "--out", str(out)]
    t0 = time.perf_counter()
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - t0
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    rec = {"peer": peer, "seconds": round(seconds, 3), "peak_rss_mb": round(ru.ru_maxrss / 1024, 1)}
    if p.returncode != 0:
        rec["error"] = f"exit {p.returncode}: " + (p.stderr or p.stdout)[-2000:]
    elif worker:
        lines = [ln for ln in p.stdout.splitlines() if ln.startswith("{")]
        if lines:
            rec.update(json.loads(lines[-1]))
    elif dst is not None and dst.is_file():
        rec["output_bytes"] = dst.stat().st_size
    rec["cpu_user_s"] = round(ru.ru_utime, 2)
    rec["cpu_sys_s"] = round(ru.ru_stime, 2)
    return rec


def main(argv=None):
    peers = list(WORKERS) + ["gguf-q8_0", "quantize-q4_0"]
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("peer", choices=peers + ["tokens"])
    ap.add_argument("--out", type=Path, default=REPO / "bench-out")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.peer == "tokens":
        TOKENS_FILE.write_text(json.dumps(tokens128()) + "\n")
        print(TOKENS_FILE)
        return 0
    if a.worker:
        print(json.dumps(WORKERS[a.peer](a.out)), flush=True)
        return 0
    rec = measure(a.peer, a.out)
    print(json.dumps(rec), flush=True)
    return 1 if "error" in rec else 0


if __name__ == "__main__":
    sys.exit(main())
