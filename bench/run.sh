#!/usr/bin/env bash
# One benchmark run: each MPTKit command next to its named peer, same machine, same inputs,
# one after the other. Prints a table (seconds, peak RSS, ratio) and writes bench-out/results.json.
# Needs the models from bench/make_mpt1b.py and the peers from bench/README.md. Not run in CI.
#   bash bench/run.sh            # all pairs
#   bash bench/run.sh forward    # one pair: forward | bf16 | nf4 | q8_0 | q4_0 | tokenize
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=bench-out
mkdir -p "$OUT/peer-out"
swift build -c release --product mpt-convert >/dev/null
swift build -c release --product mpt-verify >/dev/null
BIN=.build/release
TOKENS=$(tr -d '[] \n' < bench/tokens128.json)
RESULTS="$OUT/results.jsonl"
: > "$RESULTS"

# Every measurement starts with no dirty pages waiting for the disk (the previous side's output
# would otherwise be flushed during the next one) and the inputs in the page cache.
settle() { sync; sleep 2; }

# ours NAME -- command...: runs the command under /usr/bin/time, appends a JSON line.
ours() {
  local name=$1; shift; shift
  settle
  local log; log=$(mktemp)
  /usr/bin/time -v "$@" > "$log.out" 2> "$log"
  local seconds rss
  seconds=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,t,":"); s=0; for(i=1;i<=n;i++) s=s*60+t[i]; print s}' "$log")
  rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.1f", $2/1024}' "$log")
  echo "{\"side\": \"ours\", \"pair\": \"$name\", \"seconds\": $seconds, \"peak_rss_mb\": $rss}" | tee -a "$RESULTS"
  rm -f "$log" "$log.out"
}

peer() {
  local name=$1 which=$2
  settle
  local line; line=$(python3 bench/peers.py "$which" | tail -n 1)
  echo "{\"side\": \"peer\", \"pair\": \"$name\", \"peer\": $line}" | tee -a "$RESULTS"
}

PAIR=${1:-}
run_pair() { [ -z "$PAIR" ] || [ "$PAIR" = "$1" ]; }

if run_pair forward; then
  peer forward hf-forward
  peer forward llamacpp-forward
  ours forward -- "$BIN/mpt-verify" "$OUT/mpt1b-f32-st" --tokens "$TOKENS" --threads 2 --dump-logits "$OUT/ours_logits.npy"
  "$BIN/mpt-verify" "$OUT/mpt1b-f32-st" --tokens "$TOKENS" --reference-logits "$OUT/peer-out/hf_f32_logits_128.npy" --json \
    | tr -d '\n' | sed 's/^/{"side": "ours", "pair": "forward-parity-vs-hf", "report": /; s/$/}\n/' | tee -a "$RESULTS" || true
fi
if run_pair bf16; then
  peer bf16 bin-to-bf16
  rm -rf "$OUT/ours-bf16"
  ours bf16 -- "$BIN/mpt-convert" "$OUT/mpt1b-f32-bin" "$OUT/ours-bf16" --dtype bf16 --threads 2
  rm -rf "$OUT/ours-bf16"
  ours bf16-nosync -- "$BIN/mpt-convert" "$OUT/mpt1b-f32-bin" "$OUT/ours-bf16" --dtype bf16 --threads 2 --no-sync
fi
if run_pair nf4; then
  peer nf4 bnb-nf4
  rm -rf "$OUT/ours-nf4"
  ours nf4 -- "$BIN/mpt-convert" "$OUT/mpt1b-bf16" "$OUT/ours-nf4" --quant nf4 --threads 2
  rm -rf "$OUT/ours-nf4"
  ours nf4-nosync -- "$BIN/mpt-convert" "$OUT/mpt1b-bf16" "$OUT/ours-nf4" --quant nf4 --threads 2 --no-sync
fi
if run_pair q8_0; then
  peer q8_0 gguf-q8_0
  rm -f "$OUT/ours-q8_0.gguf"
  ours q8_0 -- "$BIN/mpt-convert" "$OUT/mpt1b-bf16" "$OUT/ours-q8_0.gguf" --quant q8_0 --threads 2
  rm -rf "$OUT/ours-q8_0.gguf"
  ours q8_0-nosync -- "$BIN/mpt-convert" "$OUT/mpt1b-bf16" "$OUT/ours-q8_0.gguf" --quant q8_0 --threads 2 --no-sync
fi
if run_pair q4_0; then
  peer q4_0 quantize-q4_0
  rm -f "$OUT/ours-q4_0.gguf"
  ours q4_0 -- "$BIN/mpt-convert" "$OUT/mpt1b-f16.gguf" "$OUT/ours-q4_0.gguf" --quant q4_0 --threads 2
  rm -rf "$OUT/ours-q4_0.gguf"
  ours q4_0-nosync -- "$BIN/mpt-convert" "$OUT/mpt1b-f16.gguf" "$OUT/ours-q4_0.gguf" --quant q4_0 --threads 2 --no-sync
fi

python3 - "$RESULTS" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
ours = {r["pair"]: r for r in rows if r["side"] == "ours" and "seconds" in r}
print(f"\n{'pair':12} {'peer':18} {'peer s':>8} {'ours s':>8} {'speed-up':>9} {'peer MB':>9} {'ours MB':>9}")
for r in rows:
    if r["side"] != "peer" or r["pair"] not in ours:
        continue
    p = r["peer"]
    for label in (r["pair"], r["pair"] + "-nosync"):
        if label not in ours:
            continue
        o = ours[label]
        print(f"{label:12} {p['peer']:18} {p['seconds']:8.2f} {o['seconds']:8.2f} {p['seconds']/o['seconds']:8.2f}x {p['peak_rss_mb']:9.0f} {o['peak_rss_mb']:9.0f}")
PY
