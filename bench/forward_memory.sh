#!/usr/bin/env bash
# Peak RSS of the forward-pass tools (issue 17's memory targets), whole process, one run each,
# this checkout's release build (OURS) next to another build (BASE, e.g. main before the change)
# in the same run. GNU time's %M is the peak resident set (heap + touched mapped pages).
#   bash bench/forward_memory.sh                       # every case
#   CASES="30b 1b-128" bash bench/forward_memory.sh    # some of them
#   BASE_BIN=/path/to/release/bin bash bench/forward_memory.sh   (default: skip the base side)
# Cases (models from bench/make_mpt30b_shape.py and bench/make_mpt1b.py --only bf16):
#   30b        mpt-verify of the MPT-30B-shaped model (bench-out/mpt30b-shape), 64 tokens   target <= 1 GiB
#   1b-128     mpt-verify of MPT-1b bf16, 128 tokens                                         target <= 600 MB
#   1b-2048    mpt-verify of MPT-1b bf16, 2048 tokens (its full context)                     target <= 600 MB
#   neox-8192  mpt-verify of Fixtures/models/mpt-neox-tok-f16 (vocab 50432), 8192 tokens, --max-seq-len 8192
#                                                                                            target <= 512 MB
#   generate   mpt-generate of MPT-1b bf16, 8-token prompt + 16 tokens        target <= file size + 256 MB
#   score      mpt-verify MPT-1b bf16 vs its Q8_0 GGUF (made here with OURS' mpt-convert),
#              --text-file heldout.txt --ctx 512 --chunks 4 (reference, candidate, fresh quantization)
#   convert    mpt-convert of the 30B shape to every output kind (bf16/f16 safetensors, NF4, int8,
#              Q8_0 / Q4_K_M GGUF, and pytorch_model.bin -> NF4)                            target <= 1 GiB
# Prints one JSON line per run ({side, case, seconds, user, sys, peak_rss_mb}) into
# bench-out/forward_memory.jsonl. Not run in CI.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=bench-out
CASES=${CASES:-30b 1b-128 1b-2048 neox-8192 generate score convert}
OURS_BIN=${OURS_BIN:-.build/release}
BASE_BIN=${BASE_BIN:-}
M1B=$OUT/mpt1b-bf16
M30=$OUT/mpt30b-shape
NEOX=Fixtures/models/mpt-neox-tok-f16
TEXT=Fixtures/models/mpt-trained-d256/heldout.txt
RESULTS=$OUT/forward_memory.jsonl
SCRATCH=${SCRATCH:-$OUT/forward_memory.tmp}
[ -x "$OURS_BIN/mpt-verify" ] || swift build -c release >/dev/null
mkdir -p "$SCRATCH"

ids() {  # ids N: the first N of tokens128.json, past them (i*7919) mod 50000
  python3 -c "
import json
ids = json.load(open('bench/tokens128.json'))
n = $1
print(','.join(map(str, ids[:n] if n <= len(ids) else [i * 7919 % 50000 for i in range(n)])))"
}

# measure SIDE CASE command...: wall, user, sys seconds and peak RSS (GNU time), one JSON line.
measure() {
  local side=$1 name=$2; shift 2
  sync; sleep 1
  local log; log=$(mktemp)
  local status=0
  /usr/bin/time -f '%e %U %S %M' -o "$log" "$@" > "$SCRATCH/$side.$name.out" 2> "$SCRATCH/$side.$name.err" || status=$?
  read -r wall user sys rss < <(tail -1 "$log"); rm -f "$log"
  echo "{\"side\": \"$side\", \"case\": \"$name\", \"status\": $status, \"seconds\": $wall, \"user\": $user, \"sys\": $sys, \"peak_rss_mb\": $(awk "BEGIN {printf \"%.1f\", $rss/1024}")}" | tee -a "$RESULTS"
}

# both CASE args...: the same tool (named by its first argument) from BASE (when given) and OURS.
both() {
  local name=$1 tool=$2; shift 2
  [ -n "$BASE_BIN" ] && measure base "$name" "$BASE_BIN/$tool" "$@"
  measure ours "$name" "$OURS_BIN/$tool" "$@"
}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for c in $CASES; do
  case $c in
    30b) cat "$M30/model.safetensors" > /dev/null
         both 30b mpt-verify "$M30" --tokens "$(ids 64)" --threads 2 ;;
    1b-128) cat "$M1B/model.safetensors" > /dev/null
         both 1b-128 mpt-verify "$M1B" --tokens "$(ids 128)" --threads 2 ;;
    1b-2048) both 1b-2048 mpt-verify "$M1B" --tokens "$(ids 2048)" --threads 2 ;;
    neox-8192) both neox-8192 mpt-verify "$NEOX" --tokens "$(ids 8192)" --max-seq-len 8192 --threads 2 ;;
    generate) both generate mpt-generate "$M1B" --tokens "$(ids 8)" --max-tokens 16 --ignore-eos --threads 2
         echo "  weights file: $(( $(stat -c %s "$M1B/model.safetensors") / 1048576 )) MiB" ;;
    score) Q8=$SCRATCH/mpt1b-q8_0.gguf
         [ -f "$Q8" ] || "$OURS_BIN/mpt-convert" "$M1B" "$Q8" --quant q8_0 --quiet
         both score mpt-verify "$M1B" "$Q8" --text-file "$TEXT" --ctx 512 --chunks 4 --threads 2 ;;
    convert)  # each side writes its own output, removed after its run
         for kind in "--dtype bf16" "--dtype f16" "--quant nf4" "--quant int8" "--quant q8_0 --threads 2" "--quant q4_k_m --threads 2" bin; do
           input=$M30 args=$kind out=$SCRATCH/out label=convert-$(echo "$kind" | awk '{print $2}')
           [[ $kind == *q8_0* || $kind == *q4_k_m* ]] && out=$SCRATCH/out.gguf
           [ "$kind" = bin ] && input=$OUT/mpt30b-shape-bin args="--quant nf4" label=convert-bin-nf4
           for side in base ours; do
             bin=$BASE_BIN; [ $side = ours ] && bin=$OURS_BIN
             [ -n "$bin" ] || continue
             rm -rf "$out"
             # shellcheck disable=SC2086
             measure $side "$label" "$bin/mpt-convert" "$input" "$out" $args --quiet
           done
           rm -rf "$out"
         done ;;
    *) echo "unknown case $c" >&2; exit 2 ;;
  esac
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
