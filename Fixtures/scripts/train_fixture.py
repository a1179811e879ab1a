#!/usr/bin/env python3
"""Train Fixtures/models/mpt-trained-d256: a small MPT trained on real text (issue 16).

Text: Python's own documentation, the 79 topics of `pydoc_data/topics.py` as shipped with
CPython 3.11.7 (PSF License; the text is the Python Language Reference / Library
Reference, the same text `help('while')` prints).  Topics are sorted by key; the
trailing topics that together make up at least 10% of the characters are held out
(`heldout.txt`), the rest are the training text.

Tokenizer: byte-level BPE trained with HF `tokenizers` on the training text only, laid
out like GPT-NeoX-20B's tokenizer.json (ByteLevel pre-tokenizer with the GPT-2 regex,
add_prefix_space false, ByteLevel decoder and post-processor), vocab exactly 8192 with
`<|endoftext|>` at id 0.  No normalizer (GPT-NeoX has NFC; llama.cpp ignores it anyway,
and this text is already NFC).

Model: HF transformers `MptForCausalLM` (ALiBi, no_bias, tied head, exact-erf GELU),
d_model 256, 4 heads (head dim 64), expansion 4, max_seq_len 1024, vocab 8192, trained in
float32 on the CPU with AdamW, then saved in bfloat16 with `save_pretrained`.

Outputs (in --out, default Fixtures/models/mpt-trained-d256):
    config.json generation_config.json model.safetensors tokenizer.json
    tokenizer_config.json special_tokens_map.json heldout.txt METRICS.json
    reference/tokens.json           the first 32 tokens of heldout.txt
    reference/logits_f64.npy        float64 [32, 8192], patched HF forward in float64
                                    (as Fixtures/generate.py does), checked against
                                    generate.py's numpy forward
    reference/logits_f32.npy        float32 [32, 8192], HF forward in float32

Run (300 steps: about 20 minutes of CPU on 2 cores; the committed run took 80 minutes of
wall time on a machine shared with other jobs.  The step count, not the clock, ends training,
so a rerun with the same torch build and thread count gives the same weights):

    /work/venv-pinned/bin/python Fixtures/scripts/train_fixture.py

The committed fixture was made with torch 2.15.0 (PyPI's Linux wheel, run on the CPU),
transformers 4.57.6 and tokenizers 0.22.2; METRICS.json records the exact versions.
"""

from __future__ import annotations

import argparse
import importlib.metadata as md
import json
import math
import shutil
import sys
import time
from pathlib import Path

import numpy as np

FIXTURES = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(FIXTURES))

EOT = "<|endoftext|>"
VOCAB = 8192
HELDOUT_FRACTION = 0.10
EVAL_CTX = 512
REF_TOKENS = 32


def topics_split():
    import pydoc_data.topics as t
    keys = sorted(t.topics)
    total = sum(len(t.topics[k]) for k in keys)
    held, n = [], 0
    for k in reversed(keys):
        if n >= HELDOUT_FRACTION * total:
            break
        held.insert(0, k)
        n += len(t.topics[k])
    train = [k for k in keys if k not in held]
    return t, train, held, total


def train_tokenizer(docs):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True)
    tok.decoder = decoders.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True)
    tok.post_processor = processors.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True)
    trainer = trainers.BpeTrainer(vocab_size=VOCAB, min_frequency=0, special_tokens=[EOT],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    tok.train_from_iterator(docs, trainer=trainer)
    assert tok.get_vocab_size() == VOCAB, f"tokenizer has {tok.get_vocab_size()} entries, want {VOCAB}"
    assert tok.token_to_id(EOT) == 0
    return tok


def mpt_config(args, dtype):
    from transformers import MptConfig
    return MptConfig(
        d_model=256, n_heads=args.n_heads, n_layers=args.n_layers, expansion_ratio=4,
        max_seq_len=1024, vocab_size=VOCAB, layer_norm_epsilon=1e-5, no_bias=True,
        logit_scale=None, resid_pdrop=0.0, emb_pdrop=0.0,
        attn_config=dict(attn_impl="torch", alibi=True, alibi_bias_max=8, clip_qkv=None,
                         softmax_scale=None, qk_ln=False, attn_pdrop=0.0),
        use_cache=False, torch_dtype=dtype,
        bos_token_id=0, eos_token_id=0, pad_token_id=None,
    )


def chunk_scores(model, ids, ctx, torch):
    """Non-overlapping chunks of `ctx` tokens (full chunks only); every next-token
    position inside each chunk is scored (ctx-1 per chunk).  Returns float64 arrays
    (nll, margin, target, second_half, top1_hit) over the scored positions."""
    n_chunks = len(ids) // ctx
    nll, margin, target, second, hit = [], [], [], [], []
    with torch.no_grad():
        for c in range(n_chunks):
            x = torch.tensor([ids[c * ctx:(c + 1) * ctx]])
            logits = model(x, use_cache=False).logits[0].float().double()
            lp = torch.log_softmax(logits[:-1], -1)
            y = x[0, 1:]
            nll.append((-lp[torch.arange(ctx - 1), y]).numpy())
            top2 = torch.topk(logits[:-1], 2, -1).values
            margin.append((top2[:, 0] - top2[:, 1]).numpy())
            target.append(y.numpy())
            hit.append((logits[:-1].argmax(-1) == y).numpy())
            # llama-perplexity scores positions ctx/2 .. ctx-2 of a chunk (the logits
            # there predict tokens ctx/2+1 .. ctx-1): mark them for a second number.
            second.append(np.arange(ctx - 1) >= ctx // 2)
    return (np.concatenate(nll), np.concatenate(margin), np.concatenate(target),
            np.concatenate(second), np.concatenate(hit), n_chunks)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=FIXTURES / "models" / "mpt-trained-d256")
    ap.add_argument("--n-layers", type=int, default=2)
    ap.add_argument("--n-heads", type=int, default=4)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--seq-len", type=int, default=256)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--warmup", type=int, default=30)
    ap.add_argument("--weight-decay", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=1016)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--eval-every", type=int, default=100)
    args = ap.parse_args(argv)

    import torch
    from transformers import MptForCausalLM
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(args.seed)

    t, train_keys, held_keys, total_chars = topics_split()
    train_docs = [t.topics[k] for k in train_keys]
    heldout_text = "\n\n".join(t.topics[k] for k in held_keys)
    print(f"topics: {len(train_keys)} train, {len(held_keys)} held out {held_keys}", flush=True)

    tok = train_tokenizer(train_docs)
    stream = []
    for d in train_docs:
        stream += tok.encode(d).ids + [0]
    stream = np.array(stream, dtype=np.int64)
    held_ids = tok.encode(heldout_text).ids
    print(f"tokens: train {len(stream)}, held-out {len(held_ids)}", flush=True)

    cfg = mpt_config(args, "float32")
    model = MptForCausalLM(cfg).float()
    assert model.lm_head.weight.data_ptr() == model.transformer.wte.weight.data_ptr()
    n_params = sum(p.numel() for p in model.parameters())
    decay = [p for n, p in model.named_parameters() if p.ndim == 2]
    no_decay = [p for n, p in model.named_parameters() if p.ndim < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.95), eps=1e-8)

    def lr_at(step):
        if step < args.warmup:
            return args.lr * (step + 1) / args.warmup
        p = (step - args.warmup) / max(1, args.steps - args.warmup)
        return args.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * p)))

    def heldout_loss():
        model.eval()
        nll, *_ = chunk_scores(model, held_ids, EVAL_CTX, torch)
        model.train()
        return float(nll.mean())

    L = args.seq_len
    curve = []
    t0 = time.time()
    model.train()
    for step in range(args.steps):
        starts = rng.integers(0, len(stream) - L - 1, size=args.batch)
        xb = torch.from_numpy(np.stack([stream[s:s + L + 1] for s in starts]))
        for g in opt.param_groups:
            g["lr"] = lr_at(step)
        logits = model(xb[:, :-1], use_cache=False).logits
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, VOCAB), xb[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step % 20 == 0 or step == args.steps - 1:
            print(f"step {step} loss {loss.item():.4f} lr {lr_at(step):.2e} {time.time() - t0:.0f}s", flush=True)
        if (step + 1) % args.eval_every == 0 and step + 1 < args.steps:
            hl = heldout_loss()
            curve.append({"step": step + 1, "train_loss": round(loss.item(), 4), "heldout_nll": round(hl, 4),
                          "heldout_ppl_f32": round(math.exp(hl), 2)})
            print(f"  held-out ppl {math.exp(hl):.2f}", flush=True)
    train_seconds = time.time() - t0

    # ---- save (bf16) -----------------------------------------------------------
    out = args.out
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    final = MptForCausalLM(mpt_config(args, "bfloat16"))
    final.load_state_dict(model.state_dict())
    final = final.to(torch.bfloat16).eval()
    final.save_pretrained(out, safe_serialization=True)
    tok.save(str(out / "tokenizer.json"))
    (out / "tokenizer_config.json").write_text(json.dumps({
        "add_bos_token": False, "add_eos_token": False, "bos_token": EOT, "eos_token": EOT,
        "unk_token": EOT, "clean_up_tokenization_spaces": False, "model_max_length": 1024,
        "tokenizer_class": "GPTNeoXTokenizer"}, indent=2) + "\n")
    (out / "special_tokens_map.json").write_text(json.dumps(
        {"bos_token": EOT, "eos_token": EOT, "unk_token": EOT}, indent=2) + "\n")
    (out / "heldout.txt").write_text(heldout_text, encoding="utf-8")

    # ---- evaluate the saved bf16 weights (float32 compute) ---------------------
    from tokenizers import Tokenizer
    tok2 = Tokenizer.from_file(str(out / "tokenizer.json"))
    ids = tok2.encode((out / "heldout.txt").read_text(encoding="utf-8")).ids
    assert ids == held_ids
    m = MptForCausalLM.from_pretrained(out, torch_dtype=torch.bfloat16).float().eval()
    nll, margin, target, second, hit, n_chunks = chunk_scores(m, ids, EVAL_CTX, torch)
    counts = np.bincount(stream, minlength=VOCAB).astype(np.float64)
    p_uni = (counts + 1.0) / (counts.sum() + VOCAB)
    uni_nll = -np.log(p_uni[target])
    top1 = float(hit.mean())  # argmax == true next token

    # ---- float64 / float32 reference logits (as Fixtures/generate.py) ----------
    import generate as G
    ref_tokens = ids[:REF_TOKENS]
    mb = MptForCausalLM.from_pretrained(out, torch_dtype=torch.bfloat16).eval()
    with G.hf_patched(True):
        l64 = G.hf_forward(mb, torch.float64, ref_tokens)
        l32 = G.hf_forward(mb, torch.float32, ref_tokens).astype(np.float32)
    with G.hf_patched(False):
        stock64 = G.hf_forward(mb, torch.float64, ref_tokens)
    W = {k: v.double().numpy() for k, v in mb.state_dict().items() if k != "lm_head.weight"}
    np64 = G.np_mpt_forward(W, dict(d_model=256, n_heads=args.n_heads, n_layers=args.n_layers,
                                    alibi_bias_max=8), ref_tokens)
    rel_np = G.rel_l2(l64, np64)
    rel_stock = G.rel_l2(stock64, l64)
    rel_32 = G.rel_l2(l32, l64)
    assert rel_np < 1e-12, rel_np
    G.write_reference(out, l64, l32, tokens=ref_tokens)

    def v(p):
        try:
            return md.version(p)
        except md.PackageNotFoundError:
            return None

    metrics = {
        "fixture": out.name,
        "text": {
            "source": "pydoc_data/topics.py (CPython 3.11.7), Python documentation topics",
            "license": "PSF License Agreement (Python Software Foundation License Version 2)",
            "split": "topics sorted by key; trailing topics holding >= 10% of the characters are held out",
            "train_topics": len(train_keys), "heldout_topics": held_keys,
            "train_chars": sum(len(d) for d in train_docs), "heldout_chars": len(heldout_text),
            "train_tokens": int(len(stream)), "heldout_tokens": len(ids),
            "train_stream": "each training topic's tokens followed by <|endoftext|> (id 0)",
            "heldout_file": "heldout.txt = held-out topics joined with a blank line (\\n\\n), UTF-8, no trailing newline",
        },
        "shape": {"d_model": 256, "n_heads": args.n_heads, "head_dim": 256 // args.n_heads,
                  "n_layers": args.n_layers, "expansion_ratio": 4, "max_seq_len": 1024,
                  "vocab_size": VOCAB, "alibi": True, "alibi_bias_max": 8, "no_bias": True,
                  "tied_embeddings": True, "parameters": n_params, "stored_dtype": "bfloat16"},
        "tokenizer": {"type": "byte-level BPE (HF tokenizers BpeTrainer, min_frequency 0)",
                      "vocab_size": VOCAB, "special": {EOT: 0}, "normalizer": None,
                      "pre_tokenizer": "ByteLevel(add_prefix_space=false, use_regex=true)"},
        "training": {"optimizer": "AdamW(betas 0.9/0.95, eps 1e-8)", "lr": args.lr,
                     "schedule": f"linear warmup {args.warmup} steps, cosine to 10%",
                     "weight_decay": args.weight_decay, "grad_clip": 1.0, "steps": args.steps,
                     "batch": args.batch, "seq_len": args.seq_len,
                     "tokens_seen": args.steps * args.batch * args.seq_len,
                     "epochs": round(args.steps * args.batch * args.seq_len / len(stream), 2),
                     "seconds": round(train_seconds, 1), "seed": args.seed, "threads": args.threads,
                     "compute": "float32, CPU", "final_train_loss": round(loss.item(), 4),
                     "heldout_curve_f32_weights": curve},
        "heldout_eval": {
            "weights": "bfloat16 (as saved), forward in float32",
            "chunks": f"{n_chunks} non-overlapping chunks of {EVAL_CTX} tokens (full chunks only), "
                      f"every next-token position of a chunk scored ({EVAL_CTX - 1} per chunk), no BOS",
            "scored_positions": int(len(target)),
            "model_ppl": round(float(np.exp(nll.mean())), 4),
            "unigram_ppl": round(float(np.exp(uni_nll.mean())), 4),
            "unigram": "add-one smoothed counts of the training token stream (incl. <|endoftext|>), same scored positions",
            "model_ppl_second_half": round(float(np.exp(nll[second].mean())), 4),
            "second_half": "positions ctx/2 .. ctx-2 of each chunk only (what llama-perplexity scores)",
            "unigram_ppl_second_half": round(float(np.exp(uni_nll[second].mean())), 4),
            "top1_accuracy": round(top1, 4),
            "top1_margin_median": round(float(np.median(margin)), 4),
            "top1_margin_p10": round(float(np.percentile(margin, 10)), 4),
            "top1_margin_p90": round(float(np.percentile(margin, 90)), 4),
            "top1_margin": "logit of the top-1 token minus the top-2 token, over the scored positions",
        },
        "reference": {"tokens": f"first {REF_TOKENS} tokens of heldout.txt",
                      "logits_f64": "patched HF forward in float64 (Fixtures/generate.py hf_patched)",
                      "rel_l2_numpy_f64_vs_logits_f64": rel_np,
                      "rel_l2_stock_hf_f64_vs_logits_f64": rel_stock,
                      "rel_l2_logits_f32_vs_logits_f64": rel_32},
        "versions": {"python": sys.version.split()[0], "torch": torch.__version__,
                     "transformers": v("transformers"), "tokenizers": v("tokenizers"),
                     "safetensors": v("safetensors"), "numpy": v("numpy")},
    }
    (out / "METRICS.json").write_text(json.dumps(metrics, indent=2) + "\n")
    print(json.dumps(metrics["heldout_eval"], indent=2))
    for f in sorted(out.rglob("*")):
        if f.is_file():
            print(f"{f.stat().st_size:>10}  {f.relative_to(out)}")


if __name__ == "__main__":
    main()
