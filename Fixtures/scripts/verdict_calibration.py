"""Calibrates `mpt-verify REF CAND --text-file` verdict defaults (Formats/verify.md).

Converts the trained fixture (models/mpt-trained-d256) honestly (bf16->f16, NF4, int8, Q8_0,
Q4_0) and breaks copies of the outputs the way issue 16 lists (NF4 block scales x1.25 / x0.8,
5% of NF4 nibbles flipped, Q8_0/Q4_0 scales +10%, one tensor swapped with a same-shaped one, a
re-initialized model of the same vocabulary), scores each against the bf16 model on heldout.txt
and prints mean KL and same-top.

Usage: python verdict_calibration.py BUILD_DIR WORK_DIR [--ctx 256] [--chunks N]
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
    p.add_argument("--ctx", type=int, default=256)
    p.add_argument("--chunks", type=int)
    a = p.parse_args()
    convert, verify = os.path.join(a.build, "mpt-convert"), os.path.join(a.build, "mpt-verify")
    w = lambda name: os.path.join(a.work, name)
    os.makedirs(a.work, exist_ok=True)
    honest = {"f16": ["--dtype", "f16"], "nf4": ["--quant", "nf4"], "nf4-nodq": ["--quant", "nf4", "--no-double-quant"],
              "int8": ["--quant", "int8"], "q8_0.gguf": ["--quant", "q8_0"], "q4_0.gguf": ["--quant", "q4_0"]}
    for name, args in honest.items():
        if not os.path.exists(w(name)):
            subprocess.run([convert, model, w(name)] + args, check=True, stdout=subprocess.DEVNULL)
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
    rows = [(name, w(name)) for name in honest]
    for index, (name, make) in enumerate(broken.items()):
        path = w(f"broken{index}" + (".gguf" if "q8_0" in name or "q4_0" in name else ""))
        make(path)
        rows.append((name, path))
    print(f"ctx {a.ctx}, chunks {a.chunks or 'all'}")
    print(f"{'candidate':32s} {'mean KL':>10s} {'±':>8s} {'same top':>9s} {'ln PPL ratio':>12s} {'99% KL':>8s}")
    for name, path in rows:
        cmd = [verify, model, path, "--text-file", os.path.join(model, "heldout.txt"), "--ctx", str(a.ctx), "--json"]
        if a.chunks:
            cmd += ["--chunks", str(a.chunks)]
        r = subprocess.run(cmd, capture_output=True, text=True)
        try:
            j = json.loads(r.stdout)
        except json.JSONDecodeError:
            print(name, "failed:", r.stderr.strip()[:200])
            continue
        print(f"{name:32s} {j['mean_kl']['value']:10.5f} {j['mean_kl']['error']:8.5f} {100*j['same_top']['value']:8.2f}% "
              f"{j['ln_ppl_ratio']['value']:12.5f} {j['kl_99']:8.4f}", flush=True)


if __name__ == "__main__":
    main()
