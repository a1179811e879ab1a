"""HF `tokenizers` side of bench/tokenize_bench.sh (Python is only used for benchmarking).

    python3 bench/tokenize_bench.py TOKENIZER_JSON TEXT_FILE [OUR_IDS_FILE]

Times Tokenizer.encode(whole text) and encode_batch(newline-aligned ~64 KB chunks) — the
latter uses all cores (rayon) but is a different segmentation, so only its speed is reported —
and, given our ids (comma-separated), checks they equal HF's ids for the whole text.
"""
import os
import sys
import time

import tokenizers


def chunks(text, size=1 << 16):
    out, start = [], 0
    while start < len(text):
        end = text.find("\n", start + size)
        end = len(text) if end < 0 else end + 1
        out.append(text[start:end])
        start = end
    return out


def main():
    tokenizer_path, text_path = sys.argv[1], sys.argv[2]
    t0 = time.perf_counter()
    tok = tokenizers.Tokenizer.from_file(tokenizer_path)
    load = time.perf_counter() - t0
    with open(text_path, encoding="utf-8") as f:
        text = f.read()
    size = len(text.encode("utf-8"))

    best = None
    for _ in range(2):
        t0 = time.perf_counter()
        ids = tok.encode(text).ids
        elapsed = time.perf_counter() - t0
        best = elapsed if best is None else min(best, elapsed)
    parts = chunks(text)
    best_batch = None
    for _ in range(2):
        t0 = time.perf_counter()
        batch = tok.encode_batch(parts)
        elapsed = time.perf_counter() - t0
        best_batch = elapsed if best_batch is None else min(best_batch, elapsed)
    batch_tokens = sum(len(e.ids) for e in batch)

    print(f"hf tokenizers {tokenizers.__version__}: load {load:.3f} s, {size / 1e6:.1f} MB, {len(ids)} tokens")
    print(f"hf encode (one call, whole text):        {best:.3f} s  {size / best / 1e6:6.2f} MB/s")
    print(f"hf encode_batch ({len(parts)} chunks, {os.cpu_count()} cores): {best_batch:.3f} s  "
          f"{size / best_batch / 1e6:6.2f} MB/s  ({batch_tokens} tokens)")
    if len(sys.argv) > 3:
        with open(sys.argv[3]) as f:
            ours = [int(x) for x in f.read().strip().split(",") if x]
        print(f"ids identical to hf encode: {ours == ids} ({len(ours)} vs {len(ids)})")
        if ours != ids:
            first = next((i for i, (a, b) in enumerate(zip(ours, ids)) if a != b), min(len(ours), len(ids)))
            print(f"first difference at token {first}: ours {ours[first:first + 8]} hf {ids[first:first + 8]}")
            sys.exit(1)


main()
