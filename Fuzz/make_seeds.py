"""Writes the committed fuzz seeds that Fixtures/ does not already provide (run once; CI never runs it).

  seeds/pickle/*.pkl          data.pkl of every fixture .bin (torch zip) file, uncompressed
  seeds/safetensors/*.st      a tiny MPT (d_model 8, 2 heads, 1 layer, vocab 16) matching FuzzSafetensors' config
  seeds/gguf/*.gguf           small GGUF files with every metadata type, nested arrays, F32/F16/Q8_0 tensors
  seeds/tokenizer/*.json      tiny byte-level BPE tokenizer.json files covering every option the reader knows

Usage: python3 Fuzz/make_seeds.py   (from the package root; needs numpy, safetensors, gguf)
"""
import glob
import json
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


def byte_alphabet():
    """GPT-2's bytes_to_unicode: byte -> the printable character standing for it."""
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    chars, extra = {}, 0
    for byte in range(256):
        if byte in keep:
            chars[byte] = chr(byte)
        else:
            chars[byte] = chr(256 + extra)
            extra += 1
    return chars


def tokenizers():
    out = os.path.join(SEEDS, "tokenizer")
    os.makedirs(out, exist_ok=True)
    alphabet = byte_alphabet()

    def model(byte_range, words, pairs=False, **options):
        vocab = {alphabet[b]: i for i, b in enumerate(byte_range)}
        merges = []
        for left, right in words:
            merged = left + right
            for token in (left, right, merged):
                vocab.setdefault(token, len(vocab))
            merges.append([left, right] if pairs else left + " " + right)
        fields = dict(type="BPE", dropout=None, unk_token=None, continuing_subword_prefix=None, end_of_word_suffix=None,
                      fuse_unk=False, byte_fallback=False, vocab=vocab, merges=merges)
        fields.update(options)
        return fields

    def added(id, content, special=False, **flags):
        entry = dict(id=id, content=content, single_word=False, lstrip=False, rstrip=False, normalized=not special, special=special)
        entry.update(flags)
        return entry

    words = [("\u0120", "t"), ("h", "e"), ("\u0120t", "he"), ("i", "n"), ("in", "g"), ("l", "l"), ("he", "ll"), ("hell", "o"),
             ("\u0120", "a"), ("\u010a", "\u010a"), ("\u0120", "\u0120")]
    byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}
    full = dict(version="1.0", truncation=None, padding=None,
                added_tokens=[added(0, "<|endoftext|>", special=True), added(300, "<pad>", special=True, normalized=False),
                              added(301, "[MASK]", lstrip=True, single_word=True), added(302, "  "), added(303, "caf\u00e9", rstrip=True)],
                normalizer={"type": "NFC"}, pre_tokenizer=byte_level, post_processor=byte_level, decoder=byte_level,
                model=model(range(256), words))
    ascii_only = dict(version="1.0", truncation=None, padding=None,
                      added_tokens=[added(0, "<unk>", special=True), added(1, "</s>", special=True, rstrip=True)],
                      normalizer={"type": "Sequence", "normalizers": [{"type": "NFC"}]},
                      pre_tokenizer={"type": "Sequence", "pretokenizers": [dict(byte_level, add_prefix_space=True)]},
                      post_processor=None, decoder=None,
                      model=model(range(0x20, 0x7F), words[1:8], pairs=True, unk_token="<unk>", fuse_unk=True))
    ascii_only["model"]["vocab"] = {"<unk>": 0, **{k: v + 1 for k, v in ascii_only["model"]["vocab"].items()}}
    template = dict(version="1.0", truncation=None, padding=None,
                    added_tokens=[added(0, "<s>", special=True), added(1, "</s>", special=True)],
                    normalizer=None, pre_tokenizer=dict(byte_level, use_regex=False),
                    post_processor={"type": "Sequence", "processors": [byte_level, {
                        "type": "TemplateProcessing",
                        "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                                   {"SpecialToken": {"id": "</s>", "type_id": 0}}],
                        "pair": [], "special_tokens": {}}]},
                    decoder=byte_level, model=model(range(0x61, 0x7B), words[1:4]))
    template["model"]["vocab"] = {"<s>": 0, "</s>": 1, **{k: v + 2 for k, v in template["model"]["vocab"].items()}}
    def number(document):
        """Writes the ids HF assigns: a vocab token keeps its id, a new one comes after the vocab."""
        vocab = document["model"]["vocab"]
        next_id = len(vocab)
        for entry in document["added_tokens"]:
            if entry["content"] in vocab:
                entry["id"] = vocab[entry["content"]]
            else:
                entry["id"], next_id = next_id, next_id + 1
        return document

    for name, document in [("bytelevel-nfc", full), ("sequence-unk-prefix", ascii_only), ("template-post", template)]:
        with open(os.path.join(out, name + ".json"), "w", encoding="utf-8") as handle:
            json.dump(number(document), handle, ensure_ascii=False, separators=(",", ":"))


if __name__ == "__main__":
    pickles()
    tiny_safetensors()
    gguf_files()
    tokenizers()
