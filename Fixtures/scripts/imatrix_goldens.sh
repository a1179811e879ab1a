#!/usr/bin/env bash
# Importance-matrix goldens (issue 18), made with llama.cpp's own tools from llama-cpp-python
# 0.3.36's vendored llama.cpp (/work/llama-tools/bin, built by build_llama_tools.sh):
#
#   goldens/imatrix/trained.imatrix.gguf   llama-imatrix -c 128 --chunks 4 on the trained fixture's
#                                          F32 GGUF (convert_trained_gguf.py) over heldout.txt
#   goldens/imatrix/trained.imatrix.dat    the same run with --output-format dat (legacy form)
#
# The text is passed by its repository-relative path, which llama-imatrix records as the dataset.
# Usage (from anywhere): Fixtures/scripts/imatrix_goldens.sh
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
tools=/work/llama-tools
src="$tools/src/llama_cpp_python-0.3.36/vendor/llama.cpp"
py="${PYTHON:-/work/venv-pinned/bin/python}"
out="$repo/Fixtures/goldens/imatrix"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
cd "$repo"
"$py" Fixtures/scripts/convert_trained_gguf.py --llama-cpp-dir "$src" Fixtures/models/mpt-trained-d256 \
    --outtype f32 --outfile "$work/trained-f32.gguf" >"$work/convert.log" 2>&1
text=Fixtures/models/mpt-trained-d256/heldout.txt
imatrix() {
    "$tools/bin/llama-imatrix" -m "$work/trained-f32.gguf" -f "$text" -c 128 --chunks 4 -t 2 "$@" >"$work/imatrix.log" 2>&1 \
        || { cat "$work/imatrix.log" >&2; exit 1; }
}
imatrix -o "$out/trained.imatrix.gguf"
imatrix -o "$out/trained.imatrix.dat" --output-format dat
ls -l "$out"
