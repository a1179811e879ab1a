#!/usr/bin/env python3
"""Goldens for MPTKit's ggml block quantizers and GGUF reader, made with the `gguf` PyPI package.

Usage:
  python3 Fixtures/scripts/ggml_goldens.py            # (re)generate Fixtures/goldens/ggml/
                                                      # (GGML_REF=path/to/ggml_ref for the
                                                      # block-oracle goldens; default
                                                      # /tmp/ggml_ref, see ggml_ref/build.sh)
  python3 Fixtures/scripts/ggml_goldens.py --weighted [GGML_REF]  # imatrix-path goldens
                                                      # (Fixtures/goldens/ggml/weighted/)
  python3 Fixtures/scripts/ggml_goldens.py --check F  # read a GGUF file (e.g. one MPTKit wrote)
                                                      # with gguf.GGUFReader and print it

Outputs (all little-endian raw bytes, described by manifest.json):
  <input>.f32.bin           float32 inputs, row-major
  <input>.<type>.bin        gguf.quants.quantize(input, type) bytes (Q8_0, Q4_0)
  <input>.<type>.deq.bin    gguf.quants.dequantize of those bytes, float32
  ref_<input>.f32.bin       float32 edge-case rows for the block oracle (manifest "ggml_ref")
  ref_<input>.<type>.bin    ggml_ref quantize bytes: ggml's own quantize_row_<type>_ref (Q4_1,
                            Q5_0, Q5_1, Q4_K, Q5_K, Q6_K), from llama-cpp-python 0.3.36's ggml
  ref_<input>.<type>.deq.bin  ggml_ref dequantize of those bytes (ggml's dequantize_row_<type>)
  peer.gguf                 a GGUF file written by gguf.GGUFWriter (metadata of every type,
                            F32/F16/Q8_0/Q4_0 tensors); peer.<tensor>.bin holds each tensor's bytes
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import gguf
from gguf import GGMLQuantizationType as Q

OUT = Path(__file__).resolve().parent.parent / "goldens" / "ggml"
TYPES = {"q8_0": Q.Q8_0, "q4_0": Q.Q4_0}


def inputs() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(1234)
    wide = rng.standard_normal((4, 256)).astype(np.float32)
    wide[0, 0:32] = 0.0                                     # all-zero block (positive zeros)
    wide[0, 32:64] = np.arange(32, dtype=np.float32) - 16.5  # Q8_0 halves: d = 16.5/127
    # Q8_0 exact ties: amax 127 gives d = 1, id = 1, so x.5 rounds away from zero.
    wide[1, 0:32] = np.array([127.0, -0.5, 0.5, 1.5, -1.5, 2.5, -2.5, 126.5] * 4, dtype=np.float32)
    # Q4_0 exact ties: max -8 gives d = 1, id = 1: x + 8.5 lands on integers.
    wide[1, 32:64] = np.array([-8.0, -0.5, 0.5, -7.5, 6.5, 7.0, -4.5, 3.5] * 4, dtype=np.float32)
    # Equal magnitudes of both signs: the first one fixes the sign of d.
    wide[1, 64:96] = rng.uniform(-2, 2, 32).astype(np.float32)
    wide[1, 66] = 3.0
    wide[1, 70] = -3.0
    wide[2, 0:32] *= 1e7                                    # d overflows f16 to inf (id stays finite)
    wide[2, 32:64] *= 1e4
    wide[3, 0:32] *= 1e-6                                   # d underflows to an f16 subnormal
    wide[3, 32:64] = rng.standard_normal(32).astype(np.float32) * 1e-9  # d rounds to f16 zero
    narrow = (rng.standard_normal((3, 64)) * np.array([[0.01], [1.0], [100.0]])).astype(np.float32)
    narrow[2, 0:32] = -narrow[2, 0:32]
    narrow[1, 5] = 0.0
    return {"wide_4x256": wide, "narrow_3x64": narrow}


# Types whose goldens come from the ggml_ref block oracle (ggml's C code itself).
REF_TYPES = ["q4_1", "q5_0", "q5_1", "q4_K", "q5_K", "q6_K"]


def ref_inputs() -> dict[str, np.ndarray]:
    """Rows of 256 values (one K-quant super-block, eight legacy blocks), one edge case a row."""
    rng = np.random.default_rng(4321)
    n = 256
    rows: list[tuple[str, np.ndarray]] = []
    def add(label: str, values) -> None:
        row = np.asarray(values, dtype=np.float32).reshape(n)
        rows.append((label, row))
    add("zeros", np.zeros(n))
    signed_zero = np.zeros(n); signed_zero[0::3] = -0.0; signed_zero[0] = -0.0
    add("signed zeros", signed_zero)
    # Ties: half-integer grids put x·id + 0.5 / nearest_int exactly on .5 boundaries.
    add("half-integer ties", np.tile(np.arange(-16, 16, dtype=np.float32) / 2, 8))
    add("quarter ties", np.tile(np.array([0, 0.5, 1.5, 2.5, 7.5, 15, -0.5, -8.5] * 4), 8) / 1.0)
    add("integer grid", np.round(rng.standard_normal(n) * 8))
    add("Q4_1/Q5_1 grid 0..15", np.tile(np.arange(32) % 16, 8) + np.tile([0.0, 0.5], 128))
    add("large scale 1e30", rng.standard_normal(n) * 1e30)
    add("f16 edge 6e4", rng.standard_normal(n) * 6e4)
    add("small scale 1e-6", rng.standard_normal(n) * 1e-6)
    add("tiny scale 1e-12", rng.standard_normal(n) * 1e-12)
    add("subnormals", rng.standard_normal(n) * 1e-40)
    add("all equal positive", np.full(n, 0.7))
    add("all equal negative", np.full(n, -3.25))
    outlier = rng.standard_normal(n) * 0.01; outlier[77] = 100.0
    add("one outlier", outlier)
    add("alternating signs", np.tile([1.0, -1.0], n // 2) * (1 + np.arange(n) % 7))
    add("all positive", np.abs(rng.standard_normal(n)) + 0.1)
    add("all negative", -np.abs(rng.standard_normal(n)) - 0.1)
    extremes = rng.standard_normal(n); extremes[0::5] = 3e38; extremes[2::5] = -3e38
    add("extremes +-3e38", extremes)
    add("extremes positive", np.where(np.arange(n) % 2 == 0, 3e38, 1.0))
    mixed = rng.standard_normal(n) * np.repeat(10.0 ** rng.integers(-8, 8, 8), 32)
    add("mixed group scales", mixed)
    for index in range(2):
        add(f"normal {index}", rng.standard_normal(n))
    labels = [label for label, _ in rows]
    cases = np.stack([row for _, row in rows])
    wide = rng.standard_normal((2, 1024)).astype(np.float32)  # rows of several super-blocks
    return {"ref_cases_256": (cases, labels), "ref_rows_1024": (wide, ["normal"] * 2)}


def ggml_ref_path() -> str:
    path = os.environ.get("GGML_REF", "/tmp/ggml_ref")
    if not os.access(path, os.X_OK):
        sys.exit(f"ggml_ref not found at {path}: build it with Fixtures/scripts/ggml_ref/build.sh, set GGML_REF")
    return path


def ggml_ref(binary: str, mode: str, tag: str, n_per_row: int, data: bytes) -> bytes:
    return subprocess.run([binary, mode, tag, str(n_per_row)], input=data, capture_output=True, check=True).stdout


def write_ref_goldens(manifest: dict) -> None:
    binary = ggml_ref_path()
    entries = []
    for name, (array, labels) in ref_inputs().items():
        array = array.astype(np.float32)
        prefix = f"ref_{name.removeprefix('ref_')}"
        (OUT / f"{prefix}.f32.bin").write_bytes(array.tobytes())
        entry = {"name": name, "shape": list(array.shape), "input": f"{prefix}.f32.bin", "rows": labels}
        for tag in REF_TYPES:
            blocks = ggml_ref(binary, "quantize", tag, array.shape[1], array.tobytes())
            restored = ggml_ref(binary, "dequantize", tag, array.shape[1], blocks)
            assert len(restored) == array.nbytes, (tag, len(restored))
            (OUT / f"{prefix}.{tag}.bin").write_bytes(blocks)
            (OUT / f"{prefix}.{tag}.deq.bin").write_bytes(restored)
            entry[tag] = f"{prefix}.{tag}.bin"
            entry[f"{tag}_dequantized"] = f"{prefix}.{tag}.deq.bin"
        entries.append(entry)
    manifest["ggml_ref"] = {"oracle": "Fixtures/scripts/ggml_ref (ggml of llama-cpp-python 0.3.36)",
                            "types": REF_TYPES, "inputs": entries}


def write_peer_gguf(manifest: dict) -> None:
    path = OUT / "peer.gguf"
    writer = gguf.GGUFWriter(str(path), arch="testarch")
    kv = [
        ("test.u8", 200, gguf.GGUFValueType.UINT8),
        ("test.i8", -100, gguf.GGUFValueType.INT8),
        ("test.u16", 60000, gguf.GGUFValueType.UINT16),
        ("test.i16", -30000, gguf.GGUFValueType.INT16),
        ("test.u32", 4000000000, gguf.GGUFValueType.UINT32),
        ("test.i32", -2000000000, gguf.GGUFValueType.INT32),
        ("test.f32", 0.1, gguf.GGUFValueType.FLOAT32),
        ("test.bool_true", True, gguf.GGUFValueType.BOOL),
        ("test.bool_false", False, gguf.GGUFValueType.BOOL),
        ("test.string", "héllo, ĝguf ✓", gguf.GGUFValueType.STRING),
        ("test.u64", 18000000000000000000, gguf.GGUFValueType.UINT64),
        ("test.i64", -9000000000000000000, gguf.GGUFValueType.INT64),
        ("test.f64", 2.718281828459045, gguf.GGUFValueType.FLOAT64),
    ]
    for key, value, vtype in kv:
        writer.add_key_value(key, value, vtype)
    writer.add_array("test.array_i32", [1, -2, 3])
    writer.add_array("test.array_f32", [0.5, -1.25])
    writer.add_array("test.array_str", ["a", "", "<|endoftext|>"])
    writer.add_array("test.array_nested", [[1, 2], [3]])
    writer.add_key_value("test.array_u8", [1, 2, 255], gguf.GGUFValueType.ARRAY, sub_type=gguf.GGUFValueType.UINT8)

    rng = np.random.default_rng(99)
    f32 = rng.standard_normal((3, 64)).astype(np.float32)
    f16 = rng.standard_normal((2, 3, 32)).astype(np.float16)
    q_src = rng.standard_normal((4, 64)).astype(np.float32)
    q8 = gguf.quants.quantize(q_src, Q.Q8_0)
    q4 = gguf.quants.quantize(q_src, Q.Q4_0)
    vec = rng.standard_normal(7).astype(np.float32)  # odd length: padding after it
    tensors = [
        ("weights.f32", f32, None, "F32", list(f32.shape)),
        ("weights.f16", f16, None, "F16", list(f16.shape)),
        ("weights.q8_0", q8, Q.Q8_0, "Q8_0", [4, 64]),
        ("bias.vec", vec, None, "F32", [7]),
        ("weights.q4_0", q4, Q.Q4_0, "Q4_0", [4, 64]),
    ]
    entries = []
    for name, array, raw_dtype, type_name, shape in tensors:
        writer.add_tensor(name, array, raw_dtype=raw_dtype)
        data_file = f"peer.{name}.bin"
        (OUT / data_file).write_bytes(array.tobytes())
        entries.append({"name": name, "type": type_name, "shape": shape, "data": data_file})
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()

    metadata = [{"key": "general.architecture", "type": "STRING", "value": "testarch"}]
    # Values as text (exact for 64-bit integers; floats as Python repr of the stored value).
    def text(value):
        if isinstance(value, list):
            return [text(v) for v in value]
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)
    for key, value, vtype in kv:
        stored = float(np.float32(value)) if vtype == gguf.GGUFValueType.FLOAT32 else value
        metadata.append({"key": key, "type": vtype.name, "value": text(stored)})
    metadata += [
        {"key": "test.array_i32", "type": "ARRAY", "element_type": "INT32", "value": text([1, -2, 3])},
        {"key": "test.array_f32", "type": "ARRAY", "element_type": "FLOAT32", "value": text([0.5, -1.25])},
        {"key": "test.array_str", "type": "ARRAY", "element_type": "STRING", "value": ["a", "", "<|endoftext|>"]},
        {"key": "test.array_nested", "type": "ARRAY", "element_type": "ARRAY", "inner_element_type": "INT32",
         "value": text([[1, 2], [3]])},
        {"key": "test.array_u8", "type": "ARRAY", "element_type": "UINT8", "value": text([1, 2, 255])},
    ]
    # Cross-check with the peer's own reader.
    reader = gguf.GGUFReader(str(path))
    assert [f.name for f in reader.fields.values()][3:] == [m["key"] for m in metadata], "key order"
    manifest["peer_gguf"] = {"file": "peer.gguf", "version": 3, "alignment": 32,
                             "metadata": metadata, "tensors": entries}


def generate() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    manifest: dict = {"generator": f"gguf {gguf.__version__ if hasattr(gguf, '__version__') else '0.19.0'}, numpy {np.__version__}",
                      "inputs": []}
    for name, array in inputs().items():
        (OUT / f"{name}.f32.bin").write_bytes(array.tobytes())
        entry = {"name": name, "shape": list(array.shape), "input": f"{name}.f32.bin"}
        for tag, qtype in TYPES.items():
            quantized = gguf.quants.quantize(array, qtype)
            restored = gguf.quants.dequantize(quantized, qtype).astype(np.float32)
            (OUT / f"{name}.{tag}.bin").write_bytes(quantized.tobytes())
            (OUT / f"{name}.{tag}.deq.bin").write_bytes(restored.tobytes())
            entry[tag] = f"{name}.{tag}.bin"
            entry[f"{tag}_dequantized"] = f"{name}.{tag}.deq.bin"
        manifest["inputs"].append(entry)
    write_peer_gguf(manifest)
    write_ref_goldens(manifest)
    (OUT / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {OUT}")


def check(path: str) -> None:
    reader = gguf.GGUFReader(path)
    print(f"GGUFReader opened {path}: {len(reader.fields)} fields, {len(reader.tensors)} tensors, alignment {reader.alignment}")
    for field in reader.fields.values():
        kinds = [t.name for t in field.types]
        if field.types and field.types[0] == gguf.GGUFValueType.ARRAY and field.types[-1] != gguf.GGUFValueType.ARRAY:
            value = field.contents()
        else:
            try:
                value = field.contents()
            except Exception as error:  # nested arrays: contents() is not supported everywhere
                value = f"<{error}>"
        print(f"  {field.name} {kinds} = {value!r}"[:160])
    for tensor in reader.tensors:
        data = np.asarray(tensor.data)
        extra = ""
        if tensor.tensor_type in (Q.Q8_0, Q.Q4_0):
            values = gguf.quants.dequantize(data, tensor.tensor_type)
            extra = f" dequantized sum {float(values.sum()):.6f}"
        elif tensor.tensor_type in (Q.F32, Q.F16):
            extra = f" sum {float(data.astype(np.float64).sum()):.6f}"
        print(f"  tensor {tensor.name} {tensor.tensor_type.name} shape(ne) {list(tensor.shape)} "
              f"offset {tensor.data_offset} bytes {tensor.n_bytes}{extra}")


# ---------------------------------------------------------------------------------------------
# Low-bit K-quants and IQ4 (Q2_K, Q3_K, IQ4_NL, IQ4_XS): goldens from ggml itself, through the
# block oracle Fixtures/scripts/ggml_ref (ggml_quantize_chunk without an importance matrix and
# the type's to_float, built against llama-cpp-python 0.3.36's vendored ggml).
#
#   python3 Fixtures/scripts/ggml_goldens.py --lowbit [GGML_REF]   # default /tmp/ggml_ref
#
# Outputs in Fixtures/goldens/ggml/lowbit/ (little-endian raw bytes, described by manifest.json):
#   blocks.f32.bin             float32 inputs, rows of 256 (one block of 256 per row), cases
#                              listed in the manifest by row
#   blocks.<type>.bin          ggml_ref quantize <type> 256 of those rows
#   blocks.<type>.deq.bin      ggml_ref dequantize <type> 256 of those bytes, float32
#   random.<type>.bin          arbitrary blocks (random bytes, finite f16 scales) for the decoders
#   random.<type>.deq.bin      ggml_ref dequantize of them
#   nonfinite.f32.bin          rows holding NaN / ±inf (ggml's behaviour there is not specified,
#   nonfinite.<type>.bin       but its bytes are deterministic and MPTKit reproduces them)
# ---------------------------------------------------------------------------------------------
LOWBIT_OUT = OUT / "lowbit"
LOWBIT_TYPES = {"q2_K": 84, "q3_K": 110, "iq4_nl": 18, "iq4_xs": 136}
IQ4_LEVELS = np.array([-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113], dtype=np.float32)


def lowbit_cases() -> list[tuple[str, np.ndarray]]:
    """Named blocks of 256 values: edge cases first, then random data."""
    rng = np.random.default_rng(20251)
    n = 256
    normal = lambda: rng.standard_normal(n).astype(np.float32)
    cases: list[tuple[str, np.ndarray]] = []
    add = lambda name, values: cases.append((name, np.asarray(values, dtype=np.float32).reshape(n)))
    add("zeros", np.zeros(n))
    add("negative_zeros", np.where(np.arange(n) % 3 == 0, -0.0, 0.0))
    add("all_equal_positive", np.full(n, 0.75))
    add("all_equal_negative", np.full(n, -1.25))
    add("all_equal_large", np.full(n, 3e38))
    one = np.zeros(n); one[77] = 100.0
    add("one_outlier_in_zeros", one)
    outlier = normal(); outlier[17] = 50.0; outlier[200] = -80.0
    add("outliers_in_normal", outlier)
    add("integer_ties", (np.arange(n) % 8) - 4.0)                          # Q3_K levels exactly
    add("half_ties", ((np.arange(n) % 17) - 8) / 2.0)
    add("quarter_ties", ((np.arange(n) * 7 % 13) - 6) / 4.0)
    add("q2_levels", (np.arange(n) % 4) * 0.5 - 0.5)                       # Q2_K grid with a min
    add("iq4_levels", np.tile(IQ4_LEVELS, 16) / 127.0)                     # IQ4 codebook exactly
    midpoints = (IQ4_LEVELS[:-1] + IQ4_LEVELS[1:]) / 2
    add("iq4_midpoints", np.resize(np.concatenate([midpoints, [113.0]]), n) / 127.0)
    add("alternating_signs", np.where(np.arange(n) % 2 == 0, 1.0, -1.0) * (1 + np.arange(n) / 64))
    add("all_positive", np.abs(normal()) + 0.1)
    add("all_negative", -np.abs(normal()) - 0.1)
    add("positive_max_first", np.concatenate([[5.0, -5.0], normal()[:-2]]))  # equal magnitudes
    add("negative_max_first", np.concatenate([[-5.0, 5.0], normal()[:-2]]))
    add("ramp", np.linspace(-1, 1, n))
    add("large_1e4", normal() * 1e4)
    add("large_1e30", normal() * 1e30)                                     # f16 scales overflow
    add("extremes_3e38", np.where(np.arange(n) % 5 == 0, 3e38, -3e38) * np.where(np.arange(n) % 7 == 0, 1.0, 0.5))
    add("max_float_mix", np.concatenate([[3.4028235e38, -3.4028235e38], normal()[:-2]]))
    add("small_1e-3", normal() * 1e-3)
    add("small_1e-6", normal() * 1e-6)                                     # f16 subnormal scales
    add("small_1e-9", normal() * 1e-9)                                     # scales round to 0
    add("small_1e-14", normal() * 1e-14)
    add("below_group_eps", normal() * 1e-17)                               # < GROUP_MAX_EPS
    add("float_subnormals", normal() * 1e-40)
    scales = np.repeat(10.0 ** (np.arange(16) - 8), 16)
    add("sub_block_scales_1e-8_to_1e7", normal() * scales)
    add("sub_block_scales_mild", normal() * np.repeat(np.linspace(0.01, 4, 16), 16))
    half = normal(); half[::32] = 0; half[np.repeat(np.arange(16) % 2 == 0, 16)] = 0
    add("zero_sub_blocks", half)
    zero32 = normal(); zero32[np.repeat(np.arange(8) % 3 == 0, 32)] = 0
    add("zero_iq4_sub_blocks", zero32)
    add("uniform", rng.uniform(-1, 1, n))
    add("laplace", rng.laplace(0, 1, n))
    add("sparse", normal() * (rng.uniform(0, 1, n) < 0.1))
    add("shifted_positive", normal() + 4.0)
    add("shifted_negative", normal() - 4.0)
    add("f16_friendly", np.round(normal() * 64) / 64)
    for index in range(8):
        add(f"normal_{index}", normal() * (0.02 if index % 2 else 1.0))
    return cases


def lowbit_random_blocks(type_name: str, type_size: int, count: int, rng) -> np.ndarray:
    """Arbitrary blocks of `type_name`: random bytes with each f16 scale set to a finite value."""
    blocks = rng.integers(0, 256, size=(count, type_size), dtype=np.uint8)
    def halves(count):
        values = (rng.standard_normal(count) * 10.0 ** rng.integers(-7, 4, count)).astype(np.float16)
        return values.view(np.uint8).reshape(count, 2)
    offsets = {"q2_K": [80, 82], "q3_K": [108], "iq4_nl": [0], "iq4_xs": [0]}[type_name]
    for offset in offsets:
        blocks[:, offset:offset + 2] = halves(count)
    return blocks


def run_ggml_ref(ggml_ref: str, mode: str, type_name: str, data: bytes) -> bytes:
    import subprocess
    return subprocess.run([ggml_ref, mode, type_name, "256"], input=data, capture_output=True, check=True).stdout


def lowbit_nonfinite_rows() -> np.ndarray:
    rng = np.random.default_rng(5)
    rows = []
    for poison in [np.nan, np.inf, -np.inf]:
        for position in [0, 5, 100, 255]:
            row = rng.standard_normal(256).astype(np.float32)
            row[position] = poison
            rows.append(row)
    row = rng.standard_normal(256).astype(np.float32)
    row[::7] = np.inf
    row[3::11] = -np.inf
    rows.append(row)
    rows.append(np.full(256, np.inf, dtype=np.float32))
    return np.stack(rows).astype(np.float32)


def generate_lowbit(ggml_ref: str) -> None:
    LOWBIT_OUT.mkdir(parents=True, exist_ok=True)
    cases = lowbit_cases()
    inputs = np.stack([values for _, values in cases]).astype(np.float32)
    assert np.isfinite(inputs).all()
    (LOWBIT_OUT / "blocks.f32.bin").write_bytes(inputs.tobytes())
    manifest = {"generator": "Fixtures/scripts/ggml_ref (ggml of llama-cpp-python 0.3.36), "
                             f"numpy {np.__version__}",
                "rows": len(cases), "row_length": 256, "input": "blocks.f32.bin",
                "cases": [name for name, _ in cases], "types": {}}
    rng = np.random.default_rng(777)
    for type_name, type_size in LOWBIT_TYPES.items():
        quantized = run_ggml_ref(ggml_ref, "quantize", type_name, inputs.tobytes())
        blocks_per_row = 256 // (32 if type_name == "iq4_nl" else 256)
        assert len(quantized) == len(cases) * blocks_per_row * type_size, type_name
        restored = run_ggml_ref(ggml_ref, "dequantize", type_name, quantized)
        assert len(restored) == inputs.nbytes
        (LOWBIT_OUT / f"blocks.{type_name}.bin").write_bytes(quantized)
        (LOWBIT_OUT / f"blocks.{type_name}.deq.bin").write_bytes(restored)
        random_blocks = lowbit_random_blocks(type_name, type_size, 16 * blocks_per_row, rng)
        random_restored = run_ggml_ref(ggml_ref, "dequantize", type_name, random_blocks.tobytes())
        (LOWBIT_OUT / f"random.{type_name}.bin").write_bytes(random_blocks.tobytes())
        (LOWBIT_OUT / f"random.{type_name}.deq.bin").write_bytes(random_restored)
        manifest["types"][type_name] = {
            "type_size": type_size, "blocks": f"blocks.{type_name}.bin",
            "dequantized": f"blocks.{type_name}.deq.bin",
            "random_blocks": f"random.{type_name}.bin", "random_dequantized": f"random.{type_name}.deq.bin"}
    nonfinite = lowbit_nonfinite_rows()
    (LOWBIT_OUT / "nonfinite.f32.bin").write_bytes(nonfinite.tobytes())
    manifest["nonfinite"] = {"rows": len(nonfinite), "input": "nonfinite.f32.bin"}
    for type_name in LOWBIT_TYPES:
        (LOWBIT_OUT / f"nonfinite.{type_name}.bin").write_bytes(run_ggml_ref(ggml_ref, "quantize", type_name, nonfinite.tobytes()))
        manifest["types"][type_name]["nonfinite_blocks"] = f"nonfinite.{type_name}.bin"
    (LOWBIT_OUT / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    print(f"wrote {LOWBIT_OUT}")


# ---------------------------------------------------------------------------------------------
# Weighted (imatrix) quantization: ggml's quantize_*_impl paths, through the block oracle with
# an importance vector (ggml_quantize_chunk(type, rows, …, imatrix), as llama-quantize calls it
# with one imatrix row per tensor).
#
#   python3 Fixtures/scripts/ggml_goldens.py --weighted [GGML_REF]   # default /tmp/ggml_ref
#
# Outputs in Fixtures/goldens/ggml/weighted/ (little-endian raw bytes, described by manifest.json):
#   rows256.f32.bin              the low-bit cases (lowbit_cases), rows of 256
#   rows1024.f32.bin             random rows of 1024 (four super-blocks: the row-wide σ² of the
#                                legacy types and the per-block offsets of the importance)
#   <rows>.<importance>.f32.bin  importance vectors, one value per column
#   <rows>.<importance>.<type>.bin  ggml_ref quantize <type> <n> with that importance
#   rows256_iq.f32.bin           the rows of rows256 whose squares are finite in f32, for the IQ3
#                                types (IQ_TYPES): ggml aborts on the others (GGML_ASSERT
#                                grid_index >= 0 in iq3_find_best_neighbour, every distance
#                                inf/NaN); they take rows256's importance files
#   <rows>.<type>.bin / .deq.bin the IQ types without an importance (ggml_quantize_chunk with
#                                NULL: weights x²) and ggml's dequantization of those bytes
# ---------------------------------------------------------------------------------------------
WEIGHTED_OUT = OUT / "weighted"
WEIGHTED_TYPES = ["q4_0", "q4_1", "q5_0", "q5_1", "q8_0", "q2_K", "q3_K", "q4_K", "q5_K", "q6_K", "iq4_nl", "iq4_xs"]
IQ_TYPES = ["iq3_xxs", "iq3_s"]


def weighted_importances(n: int, rng) -> dict[str, np.ndarray]:
    """Importance vectors: typical imatrix values, zeros mixed in, ties, extremes."""
    typical = (rng.gamma(0.7, 2.0, n) + 1e-3).astype(np.float32)
    with_zeros = typical.copy(); with_zeros[rng.uniform(0, 1, n) < 0.3] = 0; with_zeros[:16] = 0
    ties = np.full(n, 0.25, dtype=np.float32)
    spread = (10.0 ** rng.uniform(-6, 6, n)).astype(np.float32)
    block_zero = typical.copy(); block_zero[32:64] = 0; block_zero[128:144] = 0
    return {"typical": typical, "zeros": with_zeros, "ties": ties, "spread": spread, "block_zero": block_zero}


def run_ggml_ref_weighted(ggml_ref: str, type_name: str, n: int, rows: bytes, importance: np.ndarray) -> bytes:
    import tempfile
    with tempfile.NamedTemporaryFile(suffix=".f32") as handle:
        handle.write(importance.astype(np.float32).tobytes())
        handle.flush()
        return subprocess.run([ggml_ref, "quantize", type_name, str(n), handle.name], input=rows,
                              capture_output=True, check=True).stdout


def generate_weighted(ggml_ref: str) -> None:
    WEIGHTED_OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(18)
    inputs = {
        "rows256": np.stack([values for _, values in lowbit_cases()]).astype(np.float32),
        "rows1024": (rng.standard_normal((6, 1024)) * np.array([[1.0], [0.02], [30.0], [1.0], [1e-4], [1.0]])).astype(np.float32),
    }
    inputs["rows1024"][3, 256:512] = 0   # a zero super-block inside a row
    manifest = {"generator": "Fixtures/scripts/ggml_ref with an imatrix (ggml of llama-cpp-python 0.3.36), "
                             f"numpy {np.__version__}", "types": WEIGHTED_TYPES + IQ_TYPES, "inputs": [],
                "unweighted": []}
    squares_finite = np.all(np.isfinite(inputs["rows256"] * inputs["rows256"]), axis=1)
    importances = {}
    for name, rows in inputs.items():
        n = rows.shape[1]
        (WEIGHTED_OUT / f"{name}.f32.bin").write_bytes(rows.tobytes())
        entry = {"name": name, "shape": list(rows.shape), "input": f"{name}.f32.bin", "importances": []}
        importances[name] = weighted_importances(n, rng)
        types = WEIGHTED_TYPES + (IQ_TYPES if name == "rows1024" else [])
        for label, importance in importances[name].items():
            item = {"name": label, "importance": f"{name}.{label}.f32.bin", "blocks": {}}
            (WEIGHTED_OUT / item["importance"]).write_bytes(importance.tobytes())
            for type_name in types:
                blocks = run_ggml_ref_weighted(ggml_ref, type_name, n, rows.tobytes(), importance)
                file = f"{name}.{label}.{type_name}.bin"
                (WEIGHTED_OUT / file).write_bytes(blocks)
                item["blocks"][type_name] = file
            entry["importances"].append(item)
        manifest["inputs"].append(entry)
    iq_rows = inputs["rows256"][squares_finite]
    (WEIGHTED_OUT / "rows256_iq.f32.bin").write_bytes(iq_rows.tobytes())
    entry = {"name": "rows256_iq", "shape": list(iq_rows.shape), "input": "rows256_iq.f32.bin", "importances": []}
    for label, importance in importances["rows256"].items():
        item = {"name": label, "importance": f"rows256.{label}.f32.bin", "blocks": {}}
        for type_name in IQ_TYPES:
            blocks = run_ggml_ref_weighted(ggml_ref, type_name, 256, iq_rows.tobytes(), importance)
            file = f"rows256_iq.{label}.{type_name}.bin"
            (WEIGHTED_OUT / file).write_bytes(blocks)
            item["blocks"][type_name] = file
        entry["importances"].append(item)
    manifest["inputs"].append(entry)
    for name, rows in [("rows256_iq", iq_rows), ("rows1024", inputs["rows1024"])]:
        for type_name in IQ_TYPES:
            n = str(rows.shape[1])
            blocks = subprocess.run([ggml_ref, "quantize", type_name, n], input=rows.tobytes(),
                                    capture_output=True, check=True).stdout
            restored = subprocess.run([ggml_ref, "dequantize", type_name, n], input=blocks,
                                      capture_output=True, check=True).stdout
            (WEIGHTED_OUT / f"{name}.{type_name}.bin").write_bytes(blocks)
            (WEIGHTED_OUT / f"{name}.{type_name}.deq.bin").write_bytes(restored)
            manifest["unweighted"].append({"input": f"{name}.f32.bin", "row_length": rows.shape[1], "type": type_name,
                                           "blocks": f"{name}.{type_name}.bin",
                                           "dequantized": f"{name}.{type_name}.deq.bin"})
    (WEIGHTED_OUT / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    print(f"wrote {WEIGHTED_OUT}")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        check(sys.argv[2])
    elif len(sys.argv) >= 2 and sys.argv[1] == "--weighted":
        generate_weighted(sys.argv[2] if len(sys.argv) > 2 else "/tmp/ggml_ref")
    elif len(sys.argv) >= 2 and sys.argv[1] == "--lowbit":
        generate_lowbit(sys.argv[2] if len(sys.argv) > 2 else "/tmp/ggml_ref")
    else:
        generate()
