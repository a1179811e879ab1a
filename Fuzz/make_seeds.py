"""Writes the committed fuzz seeds that Fixtures/ does not already provide (run once; CI never runs it).

  seeds/pickle/*.pkl          data.pkl of every fixture .bin (torch zip) file, uncompressed
  seeds/safetensors/*.st      a tiny MPT (d_model 8, 2 heads, 1 layer, vocab 16) matching FuzzSafetensors' config
  seeds/gguf/*.gguf           small GGUF files with every metadata type, nested arrays, F32/F16/Q8_0 tensors

Usage: python3 Fuzz/make_seeds.py   (from the package root; needs numpy, safetensors, gguf)
"""
import glob
import os
import zipfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEEDS = os.path.join(ROOT, "Fuzz", "seeds")


def pickles():
    out = os.path.join(SEEDS, "pickle")
    os.makedirs(out, exist_ok=True)
    files = glob.glob(os.path.join(ROOT, "Fixtures", "**", "*.bin"), recursive=True)
    for path in sorted(files):
        try:
            with zipfile.ZipFile(path) as archive:
                names = [n for n in archive.namelist() if n.endswith("/data.pkl")]
                if not names:
                    continue
                data = archive.read(names[0])
        except Exception:
            continue  # hostile files that are not readable zips
        if len(data) > 65536:
            continue
        stem = os.path.relpath(path, os.path.join(ROOT, "Fixtures")).replace("/", "_").removesuffix(".bin")
        with open(os.path.join(out, stem + ".pkl"), "wb") as handle:
            handle.write(data)


def tiny_safetensors():
    from safetensors.numpy import save_file

    out = os.path.join(SEEDS, "safetensors")
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(0)
    d, vocab = 8, 16
    tensors = {"transformer.wte.weight": rng.standard_normal((vocab, d)).astype(np.float32)}
    block = "transformer.blocks.0."
    tensors[block + "norm_1.weight"] = np.ones(d, np.float32)
    tensors[block + "attn.Wqkv.weight"] = rng.standard_normal((3 * d, d)).astype(np.float16)
    tensors[block + "attn.out_proj.weight"] = rng.standard_normal((d, d)).astype(np.float32)
    tensors[block + "norm_2.weight"] = np.ones(d, np.float32)
    tensors[block + "ffn.up_proj.weight"] = rng.standard_normal((4 * d, d)).astype(np.float32)
    tensors[block + "ffn.down_proj.weight"] = rng.standard_normal((d, 4 * d)).astype(np.float32)
    tensors["transformer.norm_f.weight"] = np.ones(d, np.float32)
    save_file(tensors, os.path.join(out, "tiny-mpt.safetensors"), metadata={"format": "pt"})


def gguf_files():
    import gguf

    out = os.path.join(SEEDS, "gguf")
    os.makedirs(out, exist_ok=True)
    writer = gguf.GGUFWriter(os.path.join(out, "types.gguf"), "mpt")
    writer.add_uint8("t.u8", 7)
    writer.add_int8("t.i8", -7)
    writer.add_uint16("t.u16", 700)
    writer.add_int16("t.i16", -700)
    writer.add_uint32("t.u32", 70000)
    writer.add_int32("t.i32", -70000)
    writer.add_float32("t.f32", 1.5)
    writer.add_uint64("t.u64", 1 << 40)
    writer.add_int64("t.i64", -(1 << 40))
    writer.add_float64("t.f64", 2.25)
    writer.add_bool("t.bool", True)
    writer.add_string("t.str", "hello")
    writer.add_array("t.arr.i32", [1, 2, 3])
    writer.add_array("t.arr.str", ["a", "bc"])
    writer.add_array("t.arr.nested", [[1, 2], [3]])
    writer.add_tensor("f32", np.arange(12, dtype=np.float32).reshape(3, 4))
    writer.add_tensor("f16", np.arange(8, dtype=np.float16))
    q8 = gguf.quants.quantize(np.linspace(-1, 1, 64, dtype=np.float32).reshape(2, 32), gguf.GGMLQuantizationType.Q8_0)
    writer.add_tensor("q8", q8, raw_dtype=gguf.GGMLQuantizationType.Q8_0)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


if __name__ == "__main__":
    pickles()
    tiny_safetensors()
    gguf_files()
