#!/usr/bin/env bash
# Weights in place (issue 17, first part): `mpt-verify` forward of the MPT-1b-shaped bf16 model
# (bench/make_mpt1b.py --only bf16), whole process, before vs after, in the same run:
#   BASE  = a release build of another commit (default: main's HEAD, built once under /tmp)
#   OURS  = this checkout's release build
# and, when llama.cpp's tools are at $LLAMA_BIN with an F32 GGUF of the same model, llama-bench's
# prompt pass of the same length (whole process) for the ratio. Not run in CI.
#   bash bench/forward_inplace.sh                 # 128 tokens, 2 rounds
#   ROUNDS=3 TOKENS_N=8 bash bench/forward_inplace.sh
#   SKIP_BASE=1 TOKENS_N=2048 bash bench/forward_inplace.sh   # past the 128 ids of tokens128.json:
#                                                              # deterministic ids (i·7919 mod 50000)
#   SKIP_BASE=1 GENERATE_N=16 bash bench/forward_inplace.sh   # also greedy generation of 16 tokens
#     after an 8-token prompt: mpt-generate (on $MODEL, and on $GGUF_GEN too) vs llama-bench
#     -p 8 -n 16 on $GGUF_GEN (an F16 GGUF when given, else the F32 one); rates: mpt-generate's own
#     speed line (prefill tokens/s, decode tokens/s without load and prefill) against llama-bench's
#     pp8 and tg16, plus whole-process times.
# KERNELS=portable|avx2|avx512 sets MPTKIT_KERNELS for our side (default: the best the CPU runs).
# Prints one JSON line per run ({side, tokens, seconds, user, sys, peak_rss_mb, load}) into
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
GGUF_GEN=${GGUF_GEN:-$GGUF_F32}
GENERATE_N=${GENERATE_N:-0}
SKIP_BASE=${SKIP_BASE:-0}
[ -n "${KERNELS:-}" ] && export MPTKIT_KERNELS=$KERNELS
RESULTS=$OUT/forward_inplace.jsonl
[ -f "$MODEL/model.safetensors" ] || { echo "no $MODEL: run python3 bench/make_mpt1b.py --only bf16" >&2; exit 1; }

if [ "$SKIP_BASE" != 1 ] && [ ! -x "$BASE_DIR/.build/release/mpt-verify" ]; then
  rm -rf "$BASE_DIR" && mkdir -p "$BASE_DIR"
  git archive "$(git rev-parse "$BASE_REF")" | tar -x -C "$BASE_DIR"
  (cd "$BASE_DIR" && swift build -c release --product mpt-verify >/dev/null
[ "$GENERATE_N" -gt 0 ] && swift build -c release --product mpt-generate >/dev/null)
fi
swift build -c release --product mpt-verify >/dev/null
[ "$GENERATE_N" -gt 0 ] && swift build -c release --product mpt-generate >/dev/null
BASE=$BASE_DIR/.build/release/mpt-verify
OURS=.build/release/mpt-verify
TOKENS=$(python3 -c "
import json
ids = json.load(open('bench/tokens128.json'))
n = $TOKENS_N
print(','.join(map(str, ids[:n] if n <= len(ids) else [i * 7919 % 50000 for i in range(n)])))")
PROMPT8=$(python3 -c "import json; print(','.join(map(str, json.load(open('bench/tokens128.json'))[:8])))")
: > "$RESULTS"

# measure SIDE command...: whole-process wall, user, sys seconds and peak RSS (GNU time).
measure() {
  local side=$1; shift
  sync; sleep 1
  local log; log=$(mktemp)
  local load; load=$(cut -d' ' -f1 /proc/loadavg)
  /usr/bin/time -f '%e %U %S %M' -o "$log" "$@" > "$OUT/forward_inplace.$side.out" 2> "$OUT/forward_inplace.$side.err"
  read -r wall user sys rss < "$log"; rm -f "$log"
  echo "{\"side\": \"$side\", \"tokens\": $TOKENS_N, \"seconds\": $wall, \"user\": $user, \"sys\": $sys, \"peak_rss_mb\": $(awk "BEGIN {printf \"%.1f\", $rss/1024}"), \"load\": $load}" | tee -a "$RESULTS"
}

cat "$MODEL/model.safetensors" > /dev/null  # page cache warm for both sides
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq "$ROUNDS"); do
  [ "$SKIP_BASE" != 1 ] && measure base "$BASE" "$MODEL" --tokens "$TOKENS" --threads 2
  measure ours "$OURS" "$MODEL" --tokens "$TOKENS" --threads 2
  if [ -x "$LLAMA_BIN/llama-bench" ] && [ -f "$GGUF_F32" ]; then
    measure llama.cpp "$LLAMA_BIN/llama-bench" -m "$GGUF_F32" -p "$TOKENS_N" -n 0 -r 1 -t 2 --no-warmup -o json
  fi
  if [ "$GENERATE_N" -gt 0 ]; then
    measure ours-generate .build/release/mpt-generate "$MODEL" --tokens "$PROMPT8" --max-tokens "$GENERATE_N" --ignore-eos --threads 2
    if [ -f "$GGUF_GEN" ]; then
      measure ours-generate-gguf .build/release/mpt-generate "$GGUF_GEN" --tokens "$PROMPT8" --max-tokens "$GENERATE_N" --ignore-eos --threads 2
    fi
    if [ -x "$LLAMA_BIN/llama-bench" ] && [ -f "$GGUF_GEN" ]; then
      measure llama.cpp-generate "$LLAMA_BIN/llama-bench" -m "$GGUF_GEN" -p 8 -n "$GENERATE_N" -r 1 -t 2 --no-warmup -o json
    fi
  fi
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

GENERATE_N=$GENERATE_N MODEL=$MODEL python3 - "$RESULTS" <<'PY'
import json, os, sys
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
if "ours-generate" in best:
    import re
    def speed(side):  # mpt-generate's last stderr line: prefill and decode rates
        try:
            text = open(f"bench-out/forward_inplace.{side}.err").read()
            found = re.search(r"kernels (\w+); prefill (\d+) tokens in ([\d.]+) s \(([\d.]+) tokens/s\); decode (\d+) tokens in ([\d.]+) s \(([\d.]+) tokens/s\)", text)
            return f"{found[7]} tok/s decode, {found[4]} tok/s prefill (kernels {found[1]})" if found else "(no speed line)"
        except OSError:
            return "(not run)"
    try:
        runs = json.load(open("bench-out/forward_inplace.llama.cpp-generate.out"))
        rates = ", ".join(f"{'tg' if r['n_gen'] else 'pp'} {r['avg_ts']:.2f} tok/s" for r in runs)
        print(f"generation: llama.cpp (llama-bench on the GGUF) {rates}")
    except Exception as error:  # noqa: BLE001 - the summary is best effort
        print(f"(no llama-bench generation JSON: {error})")
    print(f"generation: ours on {os.environ.get('MODEL', 'the bf16 model')}: {speed('ours-generate')}; "
          f"whole process incl. load and 8-token prefill: {int(os.environ['GENERATE_N']) / best['ours-generate']['seconds']:.2f} tok/s")
    if "ours-generate-gguf" in best:
        print(f"generation: ours on the GGUF: {speed('ours-generate-gguf')}")
PY
