#!/usr/bin/env bash
# Quality of imatrix quantization on the trained fixture (issue 18): mpt-verify's text scoring
# (llama-perplexity --kl-divergence statistics against MPTKit's float reference of the bf16
# safetensors) over heldout.txt, for Q4_K_M, Q3_K_M and Q2_K, with and without the committed
# imatrix golden (Fixtures/goldens/imatrix/trained.imatrix.gguf: llama-imatrix over the same
# heldout.txt, 4 chunks of 128 — so the calibration text is the scored text), ours
# (mpt-convert from the safetensors directory) next to llama-quantize's (from the F32 GGUF of
# convert_trained_gguf.py). Prints one JSON line per file (mpt-verify --json).
#
# Usage: Fixtures/scripts/imatrix_quality.sh [mpt-convert] [mpt-verify]
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
convert="${1:-$repo/.build/debug/mpt-convert}"
verify="${2:-$repo/.build/debug/mpt-verify}"
tools=/work/llama-tools
py="${PYTHON:-/work/venv-pinned/bin/python}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$repo"
model=Fixtures/models/mpt-trained-d256
imatrix=Fixtures/goldens/imatrix/trained.imatrix.gguf
"$py" Fixtures/scripts/convert_trained_gguf.py --llama-cpp-dir "$tools/src/llama_cpp_python-0.3.36/vendor/llama.cpp" \
    "$model" --outtype f32 --outfile "$work/f32.gguf" >/dev/null 2>&1
for type in q4_k_m q3_k_m q2_k; do
    for weighting in none imatrix; do
        flags=(); lflags=()
        if [ "$weighting" = imatrix ]; then flags=(--imatrix "$imatrix"); lflags=(--imatrix "$imatrix"); fi
        "$convert" "$model" "$work/ours.gguf" --quant "$type" "${flags[@]}" --force >/dev/null
        "$tools/bin/llama-quantize" "${lflags[@]}" "$work/f32.gguf" "$work/theirs.gguf" "$type" 2 >/dev/null 2>&1
        for who in ours theirs; do
            echo "{\"type\": \"$type\", \"imatrix\": \"$weighting\", \"file\": \"$who\", \"score\": $("$verify" "$model" "$work/$who.gguf" --text-file "$model/heldout.txt" --json || true)}"
        done
    done
done
