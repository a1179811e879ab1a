#!/usr/bin/env bash
# Weights in place (issue 17, first part): `mpt-verify` forward of the MPT-1b-shaped bf16 model
# (bench/make_mpt1b.py --only bf16), whole process, before vs after, in the same run:
#   BASE  = a release build of another commit (default: main's HEAD, built once under /tmp)
#   OURS  = this checkout's release build
# and, when llama.cpp's tools are at $LLAMA_BIN with an F32 GGUF of the same model, llama-bench's
# prompt pass of the same length (whole process) for the ratio. Not run in CI.
#   bash bench/forward_inplace.sh                 # 128 tokens, 2 rounds
#   ROUNDS=3 TOKENS_N=8 bash bench/forward_inplace.sh
# Prints one JSON line per run ({side, tokens, seconds, user, sys, peak_rss_mb}) into
# bench-out/forward_inplace.jsonl and a summary table (best of the rounds, and the ratios).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=bench-out
MODEL=${MODEL:-$OUT/mpt1b-bf16}
ROUNDS=${ROUNDS:-2}
TOKENS_N=${TOKENS_N:-128}
BASE_REF=${BASE_REF:-main}
BASE_DIR=${BASE_DIR:-/tmp/mptkit-base}
LLAMA_BIN=${LLAMA_BIN:-/work/llama-tools/bin}
GGUF_F32=${GGUF_F32:-$OUT/mpt1b-f32.gguf}
RESULTS=$OUT/forward_inplace.jsonl
[ -f "$MODEL/model.safetensors" ] || { echo "no $MODEL: run python3 bench/make_mpt1b.py --only bf16" >&2; exit 1; }

if [ ! -x "$BASE_DIR/.build/release/mpt-verify" ]; then
  rm -rf "$BASE_DIR" && mkdir -p "$BASE_DIR"
  git archive "$(git rev-parse "$BASE_REF")" | tar -x -C "$BASE_DIR"
  (cd "$BASE_DIR" && swift build -c release --product mpt-verify >/dev/null)
fi
swift build -c release --product mpt-verify >/dev/null
BASE=$BASE_DIR/.build/release/mpt-verify
OURS=.build/release/mpt-verify
TOKENS=$(python3 -c "import json; print(','.join(map(str, json.load(open('bench/tokens128.json'))[:$TOKENS_N])))")
: > "$RESULTS"

# measure SIDE command...: whole-process wall, user, sys seconds and peak RSS (GNU time).
measure() {
  local side=$1; shift
  sync; sleep 1
  local log; log=$(mktemp)
  /usr/bin/time -f '%e %U %S %M' -o "$log" "$@" > "$OUT/forward_inplace.$side.out"
  read -r wall user sys rss < "$log"; rm -f "$log"
  echo "{\"side\": \"$side\", \"tokens\": $TOKENS_N, \"seconds\": $wall, \"user\": $user, \"sys\": $sys, \"peak_rss_mb\": $(awk "BEGIN {printf \"%.1f\", $rss/1024}")}" | tee -a "$RESULTS"
}

cat "$MODEL/model.safetensors" > /dev/null  # page cache warm for both sides
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq "$ROUNDS"); do
  measure base "$BASE" "$MODEL" --tokens "$TOKENS" --threads 2
  measure ours "$OURS" "$MODEL" --tokens "$TOKENS" --threads 2
  if [ -x "$LLAMA_BIN/llama-bench" ] && [ -f "$GGUF_F32" ]; then
    measure llama.cpp "$LLAMA_BIN/llama-bench" -m "$GGUF_F32" -p "$TOKENS_N" -n 0 -r 1 -t 2 --no-warmup -o json
  fi
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$RESULTS" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
best = {}
for r in rows:
    if r["side"] not in best or r["seconds"] < best[r["side"]]["seconds"]:
        best[r["side"]] = r
print(f"\n{'side':10} {'wall s':>8} {'user s':>8} {'sys s':>8} {'peak MB':>9}   (best of {sum(r['side'] == 'ours' for r in rows)} rounds, {rows[0]['tokens']} tokens)")
for side, r in best.items():
    print(f"{side:10} {r['seconds']:8.2f} {r['user']:8.2f} {r['sys']:8.2f} {r['peak_rss_mb']:9.0f}")
if "base" in best and "ours" in best:
    print(f"ours vs base: {best['base']['seconds'] / best['ours']['seconds']:.2f}x faster (wall), "
          f"{(best['base']['user'] + best['base']['sys']) / (best['ours']['user'] + best['ours']['sys']):.2f}x less cpu, "
          f"{best['base']['peak_rss_mb'] / best['ours']['peak_rss_mb']:.2f}x less peak RSS")
if "llama.cpp" in best and "ours" in best:
    print(f"ours vs llama.cpp: {best['llama.cpp']['seconds'] / best['ours']['seconds']:.2f}x (wall), "
          f"{(best['llama.cpp']['user'] + best['llama.cpp']['sys']) / (best['ours']['user'] + best['ours']['sys']):.2f}x (cpu)")
    try:
        runs = json.load(open("bench-out/forward_inplace.llama.cpp.out"))
        print(f"llama.cpp prompt pass alone (last run): {runs[0]['avg_ns'] / 1e9:.2f} s")
    except Exception as error:  # noqa: BLE001 - the summary is best effort
        print(f"(no llama-bench JSON: {error})")
PY
