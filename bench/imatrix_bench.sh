#!/usr/bin/env bash
# mpt-imatrix against llama-imatrix on the MPT-1b shape (issue 18), whole process under
# /usr/bin/time -v, one after the other in one run, 2 threads each:
#   llama-imatrix -m $OUT/mpt1b-f32.gguf -f TEXT -t 2 -c 512 --chunks 8 -o $OUT/mpt1b.imatrix.gguf
#   mpt-imatrix   $OUT/mpt1b-bf16 --text-file TEXT --ctx 512 --chunks 8 --threads 2 -o $OUT/mpt1b.ours.imatrix.gguf
# TEXT is built deterministically: the FSF's GPL-3 then GPL-2 texts from /usr/share/common-licenses
# (the same bytes on every Debian/Ubuntu machine; its SHA-256 is printed), ~13k GPT-NeoX tokens,
# more than the 8 × 512 = 4096 a run uses. llama-imatrix's output is kept at $OUT/mpt1b.imatrix.gguf
# (other benches quantize with it). Then bench/imatrix_compare.py gives the per-tensor rel-L2 of
# our sums against llama-imatrix's. Not run in CI. Results: bench/IMATRIX_RESULTS.md.
#   bash bench/imatrix_bench.sh            # needs a release build: swift build -c release --product mpt-imatrix
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/work/bench-out}
LLAMA_BIN=${LLAMA_BIN:-/work/llama-tools/bin}
PY=${PYTHON:-/work/venv-pinned/bin/python}
OURS=${OURS:-.build/release/mpt-imatrix}
CTX=${CTX:-512}
CHUNKS=${CHUNKS:-8}
THREADS=${THREADS:-2}
[ -x "$OURS" ] || { echo "no $OURS: swift build -c release --product mpt-imatrix" >&2; exit 1; }
text=$OUT/imatrix-calibration.txt
cat /usr/share/common-licenses/GPL-3 /usr/share/common-licenses/GPL-2 > "$text"
echo "calibration text: $text, $(wc -c < "$text") bytes, sha256 $(sha256sum "$text" | cut -d' ' -f1)"

measure() {  # name, command…: prints one JSON line from /usr/bin/time -v
  local name=$1; shift
  /usr/bin/time -v "$@" > "$OUT/imatrix_bench.$name.out" 2> "$OUT/imatrix_bench.$name.time" \
    || { tail -5 "$OUT/imatrix_bench.$name.time" >&2; exit 1; }
  awk -v name="$name" -F': ' '
    /Elapsed \(wall clock\)/ { n = split($2, p, ":"); wall = (n == 3) ? p[1]*3600 + p[2]*60 + p[3] : p[1]*60 + p[2] }
    /User time/ { user = $2 } /System time/ { sys = $2 } /Maximum resident/ { rss = $2 }
    END { printf "{\"side\": \"%s\", \"wall_s\": %.2f, \"cpu_s\": %.2f, \"peak_rss_mib\": %.0f}\n", name, wall, user + sys, rss / 1024 }
  ' "$OUT/imatrix_bench.$name.time"
}
measure llama-imatrix "$LLAMA_BIN/llama-imatrix" -m "$OUT/mpt1b-f32.gguf" -f "$text" -t "$THREADS" -c "$CTX" \
  --chunks "$CHUNKS" -o "$OUT/mpt1b.imatrix.gguf"
measure mpt-imatrix "$OURS" "$OUT/mpt1b-bf16" --text-file "$text" --ctx "$CTX" --chunks "$CHUNKS" --threads "$THREADS" \
  --quiet -o "$OUT/mpt1b.ours.imatrix.gguf"
cat "$OUT/imatrix_bench.mpt-imatrix.out"
"$PY" bench/imatrix_compare.py "$OUT/mpt1b.ours.imatrix.gguf" "$OUT/mpt1b.imatrix.gguf"
