"""Calibrates `mpt-verify REF CAND` verdict defaults and fresh-quantization margins (Formats/verify.md).

Converts a fixture (default models/mpt-trained-d256) honestly (bf16->f16, NF4 with and without
double quant, int8, and every GGUF type MPTKit encodes) and breaks copies of the outputs the way
issue 16 lists (NF4 block scales x1.25 / x0.8, 5% of NF4 nibbles flipped, Q8_0/Q4_0 scales +10%,
one tensor swapped with a same-shaped one, a re-initialized model of the same vocabulary). Files
made elsewhere (llama-quantize with or without an imatrix) are added with --extra NAME=PATH.
Each is verified against the fixture, on heldout.txt (--text) or on the default prompt tokens,
and the script prints the absolute statistics (mean KL, same-top, rel-L2 on prompts) next to the
fresh-quantization ones (fresh KL and same-top, the largest weight-error ratio candidate/fresh
over the tensors that are not byte-identical, how many are identical) and the verdict.

Usage: python verdict_calibration.py BUILD_DIR WORK_DIR [--model DIR] [--text] [--ctx 64] [--chunks 2]
       [--extra NAME=PATH ...]
Pinned: numpy, gguf (gguf-py 0.17) from /work/venv-pinned.
"""
import argparse, json, os, shutil, struct, subprocess, sys
import numpy as np

here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
model = os.path.join(here, "models", "mpt-trained-d256")


def st_tensors(path):
    """name -> (dtype, shape, absolute byte start, end) of a safetensors file."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
    header.pop("__metadata__", None)
    return {k: (v["dtype"], v["shape"], 8 + n + v["data_offsets"][0], 8 + n + v["data_offsets"][1]) for k, v in header.items()}


def edit_safetensors(src, dst, edit):
    shutil.copytree(src, dst, dirs_exist_ok=True)
    path = os.path.join(dst, "model.safetensors")
    data = bytearray(open(path, "rb").read())
    edit(data, st_tensors(path))
    open(path, "wb").write(data)


def scale_nf4(factor):
    def edit(data, tensors):
        for name, (dtype, _, a, b) in tensors.items():
            if name.endswith(".weight.absmax"):
                assert dtype == "F32", "use --no-double-quant"
                v = np.frombuffer(bytes(data[a:b]), "<f4") * np.float32(factor)
                data[a:b] = v.astype("<f4").tobytes()
    return edit


def flip_nibbles(fraction, seed=1):
    def edit(data, tensors):
        rng = np.random.default_rng(seed)
        for name, (dtype, _, a, b) in tensors.items():
            if dtype == "U8" and name.endswith(".weight") and name + ".absmax" in tensors:
                v = np.frombuffer(bytes(data[a:b]), np.uint8).copy()
                hi = rng.random(v.size) < fraction
                lo = rng.random(v.size) < fraction
                v ^= (hi * 0xF0 + lo * 0x0F).astype(np.uint8)
                data[a:b] = v.tobytes()
    return edit


def swap(first, second):
    def edit(data, tensors):
        _, s1, a1, b1 = tensors[first]
        _, s2, a2, b2 = tensors[second]
        assert s1 == s2
        x, y = bytes(data[a1:b1]), bytes(data[a2:b2])
        data[a1:b1], data[a2:b2] = y, x
    return edit


def reinitialize(seed=7):
    def edit(data, tensors):
        rng = np.random.default_rng(seed)
        for name, (dtype, _, a, b) in sorted(tensors.items()):
            assert dtype == "F16"
            v = np.frombuffer(bytes(data[a:b]), "<f2").astype(np.float32)
            mean, std = float(v.mean()), float(v.std())
            data[a:b] = (rng.standard_normal(v.size) * std + mean).astype("<f2").tobytes()
    return edit


def scale_gguf(src, dst, factor):
    import gguf
    shutil.copy(src, dst)
    reader = gguf.GGUFReader(src)
    data = bytearray(open(dst, "rb").read())
    for t in reader.tensors:
        block = {gguf.GGMLQuantizationType.Q8_0: 34, gguf.GGMLQuantizationType.Q4_0: 18}.get(t.tensor_type)
        if block is None:
            continue
        start = int(t.data_offset)
        for offset in range(start, start + int(t.n_bytes), block):
            d = np.frombuffer(bytes(data[offset:offset + 2]), "<f2")[0]
            data[offset:offset + 2] = np.float16(np.float32(d) * factor).tobytes()
    open(dst, "wb").write(data)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("build")
    p.add_argument("work")
    p.add_argument("--model", default=model)
    p.add_argument("--text", action="store_true", help="score heldout.txt (else the default prompt tokens)")
    p.add_argument("--ctx", type=int, default=64)
    p.add_argument("--chunks", type=int)
    p.add_argument("--extra", action="append", default=[], help="NAME=PATH of a candidate made elsewhere")
    a = p.parse_args()
    convert, verify = os.path.join(a.build, "mpt-convert"), os.path.join(a.build, "mpt-verify")
    w = lambda name: os.path.join(a.work, name)
    os.makedirs(a.work, exist_ok=True)
    honest = {"f16": ["--dtype", "f16"], "nf4": ["--quant", "nf4"], "nf4-nodq": ["--quant", "nf4", "--no-double-quant"],
              "int8": ["--quant", "int8"]}
    for quant in ["q8_0", "q4_0", "q4_1", "q5_0", "q5_1", "q2_k", "q3_k_s", "q3_k_m", "q3_k_l", "q4_k_s", "q4_k_m",
                  "q5_k_s", "q5_k_m", "q6_k", "iq4_nl", "iq4_xs"]:
        honest[quant + ".gguf"] = ["--quant", quant]
    for name, args in honest.items():
        if not os.path.exists(w(name)):
            r = subprocess.run([convert, a.model, w(name)] + args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            if r.returncode != 0:
                print(name, "not converted:", r.stderr.strip()[:200])
    broken = {
        "nf4 scales x1.25": lambda d: edit_safetensors(w("nf4-nodq"), d, scale_nf4(1.25)),
        "nf4 scales x0.8": lambda d: edit_safetensors(w("nf4-nodq"), d, scale_nf4(0.8)),
        "nf4 5% nibbles flipped": lambda d: edit_safetensors(w("nf4-nodq"), d, flip_nibbles(0.05)),
        "q8_0 scales x1.1": lambda d: scale_gguf(w("q8_0.gguf"), d, 1.1),
        "q4_0 scales x1.1": lambda d: scale_gguf(w("q4_0.gguf"), d, 1.1),
        "f16 ffn.up_proj 0<->1 swapped": lambda d: edit_safetensors(w("f16"), d, swap(
            "transformer.blocks.0.ffn.up_proj.weight", "transformer.blocks.1.ffn.up_proj.weight")),
        "re-initialized model": lambda d: edit_safetensors(w("f16"), d, reinitialize()),
    }
    rows = [(name, w(name)) for name in honest if os.path.exists(w(name))]
    rows += [tuple(item.split("=", 1)) for item in a.extra]
    for index, (name, make) in enumerate(broken.items()):
        path = w(f"broken{index}" + (".gguf" if "q8_0" in name or "q4_0" in name else ""))
        if not os.path.exists(path):
            make(path)
        rows.append((name, path))
    print(f"{os.path.basename(a.model)}: " + (f"text, ctx {a.ctx}, chunks {a.chunks or 'all'}" if a.text else "default prompt tokens"))
    print(f"{'candidate':32s} {'kind':6s} {'KL':>9s} {'top':>7s} {'relL2':>8s} | {'fresh KL':>9s} {'f.top':>7s} "
          f"{'KL/f':>6s} {'w max/f':>8s} {'ident':>6s} | verdict")
    for name, path in rows:
        cmd = [verify, a.model, path, "--json"]
        if a.text:
            cmd += ["--text-file", os.path.join(a.model, "heldout.txt"), "--ctx", str(a.ctx)]
            if a.chunks:
                cmd += ["--chunks", str(a.chunks)]
        r = subprocess.run(cmd, capture_output=True, text=True)
        try:
            j = json.loads(r.stdout)
        except json.JSONDecodeError:
            print(f"{name:32s} failed: {r.stderr.strip()[:200]}")
            continue
        fresh = j.get("fresh_quantization") or {}
        logits = fresh.get("logits") or {}
        tensors = fresh.get("tensors", [])
        ratios = [t["weight_error"] / t["fresh_weight_error"] if t["fresh_weight_error"] > 0 else float("inf")
                  for t in tensors if not t["identical"]]
        if a.text:
            kl, top, rel = j["mean_kl"]["value"], j["same_top"]["value"], float("nan")
        else:
            kl, top, rel = j["mean_kl"], j["top1_agreement"], j["relative_l2"]
        fkl, ftop = logits.get("fresh_mean_kl", float("nan")), logits.get("fresh_same_top", float("nan"))
        kind = j.get("kind") or j.get("candidate_kind", "?")
        ident = f"{sum(t['identical'] for t in tensors)}/{len(tensors)}"
        print(f"{name:32s} {kind:6s} {kl:9.2e} {100*top:6.1f}% {rel:8.2e} | {fkl:9.2e} {100*ftop:6.1f}% "
              f"{kl/fkl if fkl > 0 else float('nan'):6.2f} {max(ratios, default=1.0):8.3f} {ident:>6s} | "
              f"{'PASS' if j['pass'] else 'FAIL'} {'; '.join(fresh.get('failures', []))[:90]}", flush=True)


if __name__ == "__main__":
    main()
