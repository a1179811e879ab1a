#!/usr/bin/env python3
"""Whole-file goldens of llama-quantize on the trained fixture (Fixtures/goldens/gguf_files/).

llama.cpp's own converter (convert_hf_to_gguf.py through Fixtures/scripts/convert_trained_gguf.py)
writes the F32 GGUF of Fixtures/models/mpt-trained-d256; `llama-quantize F32 OUT TYPE 2` then
writes every file type MPTKit accepts. The golden records

  * the F32 input's tensors (name, ggml type, dims innermost first, SHA-256 of the bytes), so a
    test can prove that its own F32 GGUF (mpt-convert --dtype f32) holds the same tensors;
  * the file-level metadata of llama-quantize's output (scalars by value, arrays by element
    type, count and SHA-256 of the elements as GGUF encodes them: strings as u64 length + UTF-8,
    numbers little-endian), which is the same for every file type except general.file_type
    (checked here);
  * per file type: general.file_type, llama-quantize's fallback count, and every tensor in file
    order with its ggml type, dims and SHA-256.

A second golden, mpt-trained-d256-slice.json, does the same for a slice of the trained weights
small enough for debug-build tests of all 16 file types: block 0 only, the first 512 rows of
wte, ffn.up_proj's first 256 rows and ffn.down_proj's first 256 columns (config: n_layers 1,
vocab_size 512, expansion_ratio 1), stored as F32 safetensors without a tokenizer. llama.cpp's
converter cannot take it (no tokenizer for 512 ids), so its F32 GGUF is `mpt-convert --dtype f32`
(the full fixture's golden shows that file's tensors equal the converter's).
Tests/MPTKitTests/TrainedSlice.swift writes the same slice.

Tests/MPTKitTests/GGUFWholeFileGoldenTests.swift converts both with MPTKit and compares.
Pinned peers: llama.cpp vendored by llama-cpp-python 0.3.36 (Fixtures/scripts/build_llama_tools.sh,
no imatrix), gguf-py from /work/venv-pinned (gguf 0.19.0), torch/transformers not needed.

    python3 Fixtures/scripts/gguf_file_goldens.py \\
        [--llama-cpp-dir .../vendor/llama.cpp] [--llama-quantize /work/llama-tools/bin/llama-quantize] \\
        [--mpt-convert .build/debug/mpt-convert]
"""

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np
from gguf import GGUFReader, GGUFValueType
from safetensors.numpy import load_file, save_file

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIXTURE = "mpt-trained-d256"
FILE_TYPES = ["q4_0", "q4_1", "q5_0", "q5_1", "q8_0", "q2_k", "q3_k_s", "q3_k_m", "q3_k_l",
              "q4_k_s", "q4_k_m", "q5_k_s", "q5_k_m", "q6_k", "iq4_nl", "iq4_xs", "iq3_s"]  # iq3_xxs needs an imatrix: imatrix_quant_goldens.py
LLAMA_CPP = "/work/llama-tools/src/llama_cpp_python-0.3.36/vendor/llama.cpp"


def tensors(reader):
    return [{"name": t.name, "type": t.tensor_type.name, "dims": [int(x) for x in t.shape],
             "sha256": hashlib.sha256(t.data.tobytes()).hexdigest()} for t in reader.tensors]


def element_bytes(field, index, kind):
    part = field.parts[index]
    if kind == GGUFValueType.STRING:
        raw = bytes(part)
        return len(raw).to_bytes(8, "little") + raw
    return np.ascontiguousarray(part).astype(part.dtype.newbyteorder("<")).tobytes()


def metadata(reader):
    out = {}
    for key, field in reader.fields.items():
        if key.startswith("GGUF."):
            continue
        kind = field.types[0]
        if kind == GGUFValueType.ARRAY:
            element = field.types[1] if len(field.types) > 1 else GGUFValueType.UINT8
            digest = hashlib.sha256(b"".join(element_bytes(field, i, element) for i in field.data))
            out[key] = {"type": "array", "element_type": element.name.lower(), "count": len(field.data),
                        "sha256": digest.hexdigest()}
        else:
            value = field.contents()
            if kind == GGUFValueType.FLOAT32:
                value = float(np.float32(value))
            out[key] = {"type": kind.name.lower(), "value": value}
    return out


def write_slice(directory):
    """The slice of the trained fixture described above, as F32 safetensors + config.json."""
    source = os.path.join(ROOT, "Fixtures/models", FIXTURE)
    weights = {k: v.astype(np.float32) for k, v in load_bf16(os.path.join(source, "model.safetensors")).items()}
    block = "transformer.blocks.0."
    tensors = {"transformer.wte.weight": weights["transformer.wte.weight"][:512],
               "transformer.norm_f.weight": weights["transformer.norm_f.weight"]}
    for name in ["norm_1.weight", "attn.Wqkv.weight", "attn.out_proj.weight", "norm_2.weight"]:
        tensors[block + name] = weights[block + name]
    tensors[block + "ffn.up_proj.weight"] = weights[block + "ffn.up_proj.weight"][:256]
    tensors[block + "ffn.down_proj.weight"] = weights[block + "ffn.down_proj.weight"][:, :256]
    os.makedirs(directory)
    save_file({k: np.ascontiguousarray(v) for k, v in tensors.items()}, os.path.join(directory, "model.safetensors"))
    with open(os.path.join(source, "config.json")) as f:
        config = json.load(f)
    config.update(n_layers=1, vocab_size=512, expansion_ratio=1)
    with open(os.path.join(directory, "config.json"), "w") as f:
        json.dump(config, f, indent=2)


def load_bf16(path):
    """bf16 safetensors as float32 arrays (numpy has no bfloat16: widen the bit patterns)."""
    import struct
    with open(path, "rb") as f:
        raw = f.read()
    header_length = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + header_length])
    out = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        if entry["dtype"] != "BF16":
            sys.exit(f"{path}: {name} is {entry['dtype']}, expected BF16")
        start, end = entry["data_offsets"]
        bits = np.frombuffer(raw[8 + header_length + start:8 + header_length + end], dtype="<u2").astype(np.uint32) << 16
        out[name] = bits.view(np.float32).reshape(entry["shape"])
    return out


def quantize_all(f32, work, args, input_description):
    golden = {"generator": "Fixtures/scripts/gguf_file_goldens.py",
              "llama_quantize": "llama.cpp vendored by llama-cpp-python 0.3.36, `llama-quantize F32 OUT TYPE 2`, no imatrix",
              "input": input_description, "f32_input": tensors(GGUFReader(f32)), "metadata": None, "file_types": {}}
    for file_type in FILE_TYPES:
        target = os.path.join(work, file_type + ".gguf")
        run = subprocess.run([args.llama_quantize, f32, target, file_type.upper(), "2"], capture_output=True, text=True)
        if run.returncode != 0:
            sys.exit(f"llama-quantize {file_type} failed:\n{run.stderr[-2000:]}")
        match = re.search(r"(\d+) of (\d+) tensor\(s\) required fallback", run.stdout + run.stderr)
        reader = GGUFReader(target)
        meta = metadata(reader)
        file_type_number = meta.pop("general.file_type")["value"]
        if golden["metadata"] is None:
            golden["metadata"] = meta
        elif meta != golden["metadata"]:
            sys.exit(f"{file_type}: metadata differs from the other file types' beyond general.file_type")
        golden["file_types"][file_type] = {"general.file_type": file_type_number,
                                           "fallbacks": int(match.group(1)) if match else 0,
                                           "size_bytes": os.path.getsize(target), "tensors": tensors(reader)}
        os.remove(target)
    return golden


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--llama-cpp-dir", default=LLAMA_CPP)
    parser.add_argument("--llama-quantize", default="/work/llama-tools/bin/llama-quantize")
    parser.add_argument("--mpt-convert", default=os.path.join(ROOT, ".build/debug/mpt-convert"))
    parser.add_argument("--out", default=os.path.join(ROOT, "Fixtures/goldens/gguf_files"))
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="gguf-files-")
    try:
        f32 = os.path.join(work, "f32.gguf")
        subprocess.run([sys.executable, os.path.join(ROOT, "Fixtures/scripts/convert_trained_gguf.py"),
                        "--llama-cpp-dir", args.llama_cpp_dir, os.path.join(ROOT, "Fixtures/models", FIXTURE),
                        "--outtype", "f32", "--outfile", f32], check=True, capture_output=True)
        full = {"fixture": FIXTURE, **quantize_all(f32, work, args, "convert_trained_gguf.py --outtype f32 (llama.cpp "
                                                   "convert_hf_to_gguf.py, tokenizer.ggml.pre forced to mpt)")}
        slice_dir = os.path.join(work, FIXTURE + "-slice")
        write_slice(slice_dir)
        slice_f32 = os.path.join(work, "slice-f32.gguf")
        subprocess.run([args.mpt_convert, slice_dir, slice_f32, "--dtype", "f32"], check=True, stdout=subprocess.DEVNULL)
        sliced = {"fixture": FIXTURE + "-slice", **quantize_all(slice_f32, work, args, "mpt-convert --dtype f32 of the slice")}
        for golden in (full, sliced):
            with open(os.path.join(args.out, golden["fixture"] + ".json"), "w") as f:
                json.dump(golden, f, indent=1)
                f.write("\n")
            print(f"{golden['fixture']}: {len(golden['f32_input'])} tensors x {len(golden['file_types'])} file types")
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
