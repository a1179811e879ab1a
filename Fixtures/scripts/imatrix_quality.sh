#!/usr/bin/env bash
# Quality of imatrix quantization on the trained fixture (issue 18), calibrated on the fixture's
# TRAINING text and scored on the held-out text it never saw:
#   calibration  the training topics of pydoc_data/topics.py (CPython 3.11.7: the split of
#                train_fixture.py, checked to leave exactly heldout.txt out), joined with "\n\n"
#   imatrices    ours: mpt-imatrix on the bf16 safetensors; llama's: llama-imatrix on the F32 GGUF
#                (convert_trained_gguf.py); both --ctx/-c $IMX_CTX over every whole chunk
#   files        Q4_K_M, Q3_K_M, Q2_K: ours = mpt-convert of the safetensors directory (with our
#                imatrix), llama's = llama-quantize of the F32 GGUF (with llama-imatrix's), each
#                also without an imatrix
#   score        mpt-verify REF FILE --text-file heldout.txt --ctx $CTX --json (llama-perplexity's
#                --kl-divergence statistics against MPTKit's f32 forward of the bf16 weights)
# Prints one JSON line per file: {type, imatrix, file, mean_kl, same_top}. Release builds:
#   swift build -c release --product mpt-imatrix --product mpt-convert --product mpt-verify
# Usage: Fixtures/scripts/imatrix_quality.sh [BUILD_DIR]     (default .build/release)
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
bin="${1:-$repo/.build/release}"
tools=/work/llama-tools
py="${PYTHON:-/work/venv-pinned/bin/python}"
CTX=${CTX:-128}
IMX_CTX=${IMX_CTX:-512}
THREADS=${THREADS:-2}
work="${WORK:-$(mktemp -d)}"
[ -n "${WORK:-}" ] || trap 'rm -rf "$work"' EXIT
cd "$repo"
model=Fixtures/models/mpt-trained-d256
"$py" - "$work/calibration.txt" "$model/heldout.txt" <<'PY'
import sys
sys.path.insert(0, "Fixtures/scripts")
from train_fixture import topics_split
t, train, held, _ = topics_split()
assert "\n\n".join(t.topics[k] for k in held) == open(sys.argv[2], encoding="utf-8").read(), "held-out split differs"
open(sys.argv[1], "w", encoding="utf-8").write("\n\n".join(t.topics[k] for k in train))
PY
"$py" Fixtures/scripts/convert_trained_gguf.py --llama-cpp-dir "$tools/src/llama_cpp_python-0.3.36/vendor/llama.cpp" \
    "$model" --outtype f32 --outfile "$work/f32.gguf" >/dev/null 2>&1
"$bin/mpt-imatrix" "$model" --text-file "$work/calibration.txt" --ctx "$IMX_CTX" --threads "$THREADS" --quiet \
    -o "$work/ours.imatrix.gguf" >&2
"$tools/bin/llama-imatrix" -m "$work/f32.gguf" -f "$work/calibration.txt" -c "$IMX_CTX" -t "$THREADS" \
    -o "$work/llama.imatrix.gguf" >"$work/llama-imatrix.log" 2>&1
"$py" bench/imatrix_compare.py "$work/ours.imatrix.gguf" "$work/llama.imatrix.gguf" >&2
score() {  # type, imatrix, file label, path
    local json
    json=$("$bin/mpt-verify" "$model" "$4" --text-file "$model/heldout.txt" --ctx "$CTX" --threads "$THREADS" --quiet --json || true)
    "$py" -c 'import json,sys; s=json.loads(sys.argv[4]); print(json.dumps({"type": sys.argv[1], "imatrix": sys.argv[2], "file": sys.argv[3], "mean_kl": s["mean_kl"]["value"], "same_top": s["same_top"]["value"], "ppl": s["candidate_perplexity"]["value"], "chunks": s["chunks"]}))' \
        "$1" "$2" "$3" "$json"
}
for type in q4_k_m q3_k_m q2_k; do
    upper=$(echo "$type" | tr a-z A-Z)
    "$bin/mpt-convert" "$model" "$work/ours-$type.gguf" --quant "$type" --force >/dev/null
    "$bin/mpt-convert" "$model" "$work/ours-$type-imx.gguf" --quant "$type" --imatrix "$work/ours.imatrix.gguf" --force >/dev/null
    "$tools/bin/llama-quantize" "$work/f32.gguf" "$work/llama-$type.gguf" "$upper" "$THREADS" >/dev/null 2>&1
    "$tools/bin/llama-quantize" --imatrix "$work/llama.imatrix.gguf" "$work/f32.gguf" "$work/llama-$type-imx.gguf" "$upper" "$THREADS" >/dev/null 2>&1
    score "$type" none mptkit "$work/ours-$type.gguf"
    score "$type" none llama.cpp "$work/llama-$type.gguf"
    score "$type" own mptkit "$work/ours-$type-imx.gguf"
    score "$type" own llama.cpp "$work/llama-$type-imx.gguf"
done
