#!/usr/bin/env bash
# K-quant conversion benchmark (not CI), one run, both sides 2 threads, MPT-1b shape:
#   1. peer step 1: llama.cpp convert_hf_to_gguf.py --outtype f16 of mpt1b-bf16 -> mpt1b-f16.gguf
#      (this file is also the f16 GGUF input of pairs 2-4);
#   2-4. f16 GGUF -> Q4_K_M, Q6_K, Q2_K: llama-quantize (whole process) vs mpt-convert, durable
#      (default: fsync + rename) and --no-sync (like-for-like: llama-quantize does not fsync);
#   5. bf16 safetensors -> Q4_K_M: mpt-convert in one step vs convert (1) + llama-quantize (2);
#   6. when $BENCH/mpt1b.imatrix.gguf exists (llama-imatrix's output; KQ_IMATRIX overrides):
#      f16 GGUF -> Q4_K_M with --imatrix on both sides (issue 18: the ratios hold with an imatrix).
# Every command runs under /usr/bin/time -v (wall, user+sys CPU, peak RSS), after `sync; sleep 2`.
# Afterwards bench/kquant_compare.py checks that each pair's two files hold identical tensors.
# Lines of JSON go to $WORK/kquant_results.jsonl; bench/CONVERT_RESULTS.md has the table.
#   bash bench/kquant_convert.sh          # needs /work/bench-out/mpt1b-bf16 (bench/make_mpt1b.py)
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH=${BENCH_OUT:-/work/bench-out}
WORK=${KQ_WORK:-$BENCH/kquant}
LLAMA_CPP=${LLAMA_CPP_DIR:-/work/llama-tools/src/llama_cpp_python-0.3.36/vendor/llama.cpp}
QUANTIZE=${LLAMA_QUANTIZE:-/work/llama-tools/bin/llama-quantize}
PY=${PYTHON:-/work/venv-pinned/bin/python}
BIN=.build/release
mkdir -p "$WORK"
RESULTS="$WORK/kquant_results.jsonl"
: > "$RESULTS"
[ -n "${SKIP_BUILD:-}" ] || swift build -c release --product mpt-convert >/dev/null

# llama.cpp's converter registers only "MPTForCausalLM": a staging dir of symlinks whose
# config.json differs only in that spelling (as Fixtures/scripts/convert_trained_gguf.py does).
STAGE="$WORK/mpt1b-bf16-llamacpp"
rm -rf "$STAGE"; mkdir -p "$STAGE"
for f in "$BENCH"/mpt1b-bf16/*; do [ "$(basename "$f")" = config.json ] || ln -s "$(readlink -f "$f")" "$STAGE/"; done
sed 's/"MptForCausalLM"/"MPTForCausalLM"/' "$BENCH/mpt1b-bf16/config.json" > "$STAGE/config.json"

# run SIDE PAIR -- command...: one JSON line with wall s, CPU s and peak RSS MB.
run() {
  local side=$1 pair=$2; shift 3
  sync; sleep 2
  local log; log=$(mktemp)
  if ! /usr/bin/time -v "$@" > "$log.out" 2> "$log"; then tail -5 "$log" >&2; exit 1; fi
  awk -F': ' -v side="$side" -v pair="$pair" '
    /Elapsed \(wall clock\)/ {n=split($2,t,":"); s=0; for(i=1;i<=n;i++) s=s*60+t[i]; wall=s}
    /User time/ {user=$2} /System time/ {sys=$2} /Maximum resident set size/ {rss=$2/1024}
    END {printf "{\"side\": \"%s\", \"pair\": \"%s\", \"wall_s\": %.2f, \"cpu_s\": %.2f, \"peak_rss_mb\": %.1f}\n", side, pair, wall, user+sys, rss}' "$log" | tee -a "$RESULTS"
  rm -f "$log" "$log.out"
}

F16="$WORK/mpt1b-f16.gguf"
rm -f "$F16"
run peer convert-f16 -- env PYTHONPATH="$LLAMA_CPP/gguf-py" "$PY" "$LLAMA_CPP/convert_hf_to_gguf.py" "$STAGE" --outtype f16 --outfile "$F16"
for t in q4_k_m q6_k q2_k; do
  T=$(echo "$t" | tr a-z A-Z)
  rm -f "$WORK/theirs-$t.gguf" "$WORK/ours-$t.gguf"
  run peer "f16-$t" -- "$QUANTIZE" "$F16" "$WORK/theirs-$t.gguf" "$T" 2
  run ours "f16-$t" -- "$BIN/mpt-convert" "$F16" "$WORK/ours-$t.gguf" --quant "$t" --threads 2
  rm -f "$WORK/ours-$t.gguf"
  run ours "f16-$t-nosync" -- "$BIN/mpt-convert" "$F16" "$WORK/ours-$t.gguf" --quant "$t" --threads 2 --no-sync
done
rm -f "$WORK/ours-st-q4_k_m.gguf"
run ours bf16-q4_k_m -- "$BIN/mpt-convert" "$BENCH/mpt1b-bf16" "$WORK/ours-st-q4_k_m.gguf" --quant q4_k_m --threads 2
rm -f "$WORK/ours-st-q4_k_m.gguf"
run ours bf16-q4_k_m-nosync -- "$BIN/mpt-convert" "$BENCH/mpt1b-bf16" "$WORK/ours-st-q4_k_m.gguf" --quant q4_k_m --threads 2 --no-sync
TYPES="q4_k_m q6_k q2_k"
IMATRIX=${KQ_IMATRIX:-$BENCH/mpt1b.imatrix.gguf}
if [ -f "$IMATRIX" ]; then
  t=q4_k_m-imatrix
  rm -f "$WORK/theirs-$t.gguf" "$WORK/ours-$t.gguf"
  run peer "f16-$t" -- "$QUANTIZE" --imatrix "$IMATRIX" "$F16" "$WORK/theirs-$t.gguf" Q4_K_M 2
  run ours "f16-$t" -- "$BIN/mpt-convert" "$F16" "$WORK/ours-$t.gguf" --quant q4_k_m --imatrix "$IMATRIX" --threads 2
  rm -f "$WORK/ours-$t.gguf"
  run ours "f16-$t-nosync" -- "$BIN/mpt-convert" "$F16" "$WORK/ours-$t.gguf" --quant q4_k_m --imatrix "$IMATRIX" --threads 2 --no-sync
  TYPES="$TYPES $t"
fi
"$PY" bench/kquant_compare.py "$WORK" $TYPES | tee -a "$RESULTS"
# The outputs are ~9 GB: removed unless KEEP_OUTPUTS is set.
[ -n "${KEEP_OUTPUTS:-}" ] || rm -f "$WORK"/ours-*.gguf "$WORK"/theirs-*.gguf "$F16"
