"""Variant tokenizer goldens for TokenizerTests.variantGoldensMatchHF.

Takes the GPT-NeoX tokenizer.json of mpt-neox-tok-f16, turns on add_prefix_space and adds
tokens (the changed top-level keys are stored as "overrides" next to the cases) exercising lstrip / rstrip / single_word / normalized / special, then records HF
`tokenizers` output for a set of texts (the NeoX goldens' texts plus targeted ones).

    python3 Fixtures/scripts/make_tokenizer_variant.py
"""
import hashlib
import json
import pathlib
import random

import tokenizers

root = pathlib.Path(__file__).resolve().parent.parent
source = root / "models/mpt-neox-tok-f16/tokenizer.json"
out_dir = root / "goldens/tokenizer"

config = json.loads(source.read_text(encoding="utf-8"))
for key in ("pre_tokenizer", "post_processor", "decoder"):
    config[key]["add_prefix_space"] = True


def added(content, *, lstrip=False, rstrip=False, single_word=False, normalized=True, special=False):
    return {"id": 0, "content": content, "single_word": single_word, "lstrip": lstrip, "rstrip": rstrip,
            "normalized": normalized, "special": special}


extra = [
    added("<mask>", lstrip=True, rstrip=True, single_word=True, normalized=False, special=True),
    added("[SEP]", rstrip=True, normalized=False, special=True),
    added("[L]", lstrip=True),
    added("word", single_word=True),
    added("e\u0301te\u0301"),                       # normalized: matches the NFC text "été"
    added("\u212b", normalized=False),              # ANGSTROM SIGN, matched before NFC
    added("<mask>", lstrip=True, rstrip=True, single_word=True, normalized=False, special=True),  # duplicate
    added("Hello", special=True, normalized=False),  # already in the vocab
    added("\n\n", normalized=False),
]
config["added_tokens"] = config["added_tokens"] + extra
# HF recomputes ids on load; write the ids it assigns so the file is self-consistent.
tok = tokenizers.Tokenizer.from_str(json.dumps(config))
for entry in config["added_tokens"]:
    entry["id"] = tok.token_to_id(entry["content"])
overrides = {key: config[key] for key in ("pre_tokenizer", "post_processor", "decoder", "added_tokens")}
tok = tokenizers.Tokenizer.from_str(json.dumps(config))

targeted = [
    "<mask> My name <mask> A<mask> <mask>ony <mask>",
    "Hi <mask> there\t<mask>\t<mask>\u2000",
    "<mask>, <mask>- \u25cc\u0330<mask>",
    "[SEP]   next [SEP]\n\tend",
    "a [L] b  [L]c\t\t[L]",
    "word words sword word. (word) _word word_",
    "un \u00e9t\u00e9 e\u0301te\u0301 \u00e9t\u00e9s",
    "\u212b and \u00c5 and A\u030a",
    "Hello world, Hello! sayHello",
    "",
    " ",
    "  leading spaces",
    "x<|endoftext|>y <|endoftext|> z",
    "para one\n\npara two\n\n\npara three",
    "def f(x):\n    return x  # word",
    "<mask><mask> <mask>  <mask>",
    "[SEP][SEP] [L][L]",
    "\uac00\u11a8 \u1100\u1161\u11a8 x\uac00\u11a8",  # Hangul LV + T composes under NFC
    "\u00e9\u0323 e\u0323\u0301 \u1e9b\u0323",         # canonical reordering then composition
]
base = json.loads((out_dir / "cases.json").read_text(encoding="utf-8"))

# Random strings over tricky pools, for the unmodified NeoX tokenizer (fuzz_cases.json); the
# last case joins them all with newlines, long enough for the parallel encoder to cut it.
rng = random.Random(1)
pools = [
    "abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "0123456789", " ", "  ", "\n", "\t", "\r\n",
    "'", "'s", "'ll", "'re", "'S", ".,;:!?()[]{}<>|/\\-_=+*&^%$#@~`\"",
    "\u00e9\u00e8\u00fc\u00f1\u00e7\u00c5\u212b", "e\u0301", "A\u030a", "\u0301\u0302\u0327", "\u1100\u1161\u11a8",
    "\uac00\u11a8", "\u4e2d\u6587\u5b57", "\u3042\u304b\u3099\u30ab\u309a", "\u0430\u0431\u0432\u0419",
    "\u03b1\u03b2\u0390\u0374", "\u00a0", "\u2000\u2003\u3000", "\u0085", "\u2028", "\u001c\u001f",
    "\u200b\u200d", "\ufeff", "\U0001F600\U0001F44D\U0001F3FD", "\U00020000", "\u0660\u0661\u00b2\u2167",
    "\u0915\u093f\u094d", "<|endoftext|>", "<|padding|>", "|||EMAIL_ADDRESS|||", "|||IP_ADDRESS|||", "\n\n",
]


def fuzz_piece():
    pool = rng.choice(pools)
    if len(pool) > 3 and rng.random() < 0.5:
        return "".join(rng.choice(pool) for _ in range(rng.randint(1, 6)))
    return pool


fuzz_texts = ["".join(fuzz_piece() for _ in range(rng.randint(0, 40))) for _ in range(300)]
fuzz_texts.append("\n".join(fuzz_texts))
neox = tokenizers.Tokenizer.from_file(str(source))


def record(tokenizer, texts, category, with_tokens=True):
    result = []
    for index, text in enumerate(texts):
        encoding = tokenizer.encode(text)
        result.append({
            "id": index, "category": category(index), "text": text, "ids": encoding.ids,
            **({"tokens": encoding.tokens} if with_tokens else {}),
            "decoded": tokenizer.decode(encoding.ids, skip_special_tokens=False),
            "decoded_skip_special": tokenizer.decode(encoding.ids),
        })
    return result


(out_dir / "fuzz_cases.json").write_text(json.dumps({
    "description": "HF tokenizers encode/decode of random strings over tricky character pools (whitespace kinds, "
                   "combining marks, Hangul jamo, special tokens) with the unmodified NeoX tokenizer; the last case "
                   "is all of them joined by newlines (see Fixtures/scripts/make_tokenizer_variant.py).",
    "tokenizer": "models/mpt-neox-tok-f16/tokenizer.json",
    "tokenizer_sha256": hashlib.sha256(source.read_bytes()).hexdigest(),
    "versions": {"tokenizers": tokenizers.__version__},
    "count": len(fuzz_texts),
    "cases": record(neox, fuzz_texts, lambda i: "fuzz_joined" if i == len(fuzz_texts) - 1 else "fuzz",
                    with_tokens=False),
}, ensure_ascii=False, indent=1), encoding="utf-8")
texts = targeted + [case["text"] for case in base["cases"]]
cases = record(tok, texts, lambda i: "targeted" if i < len(targeted) else "neox_" + base["cases"][i - len(targeted)]["category"])
(out_dir / "variant_cases.json").write_text(json.dumps({
    "description": "HF tokenizers encode/decode with a NeoX tokenizer variant: add_prefix_space, added tokens with "
                   "lstrip/rstrip/single_word/normalized/special (see Fixtures/scripts/make_tokenizer_variant.py).",
    "tokenizer": "models/mpt-neox-tok-f16/tokenizer.json",
    "tokenizer_sha256": hashlib.sha256(source.read_bytes()).hexdigest(),
    "overrides": overrides,
    "versions": {"tokenizers": tokenizers.__version__},
    "count": len(cases),
    "cases": cases,
}, ensure_ascii=False, indent=1), encoding="utf-8")
print(f"wrote {len(cases)} variant cases, {len(fuzz_texts)} fuzz cases")
