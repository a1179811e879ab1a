#!/usr/bin/env bash
# Makes Fixtures/models/mpt-4h-split: llama-gguf-split's split of an F16 GGUF of mpt-4h-f32 into
# three parts (at most 5 tensors each: 5 + 5 + 4), the layout MPTKit reads as one model.
#
#   Fixtures/scripts/gguf_split_fixture.sh MPT_CONVERT LLAMA_GGUF_SPLIT
#
# MPT_CONVERT: a built mpt-convert (.build/debug/mpt-convert); LLAMA_GGUF_SPLIT: llama-gguf-split
# from llama-cpp-python 0.3.36's vendored llama.cpp (Fixtures/scripts/build_llama_tools.sh).
set -euo pipefail
convert=${1:?mpt-convert}
split_tool=${2:?llama-gguf-split}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$convert" "$root/models/mpt-4h-f32" "$work/mpt-4h-f16.gguf" --dtype f16
out="$root/models/mpt-4h-split"
rm -rf "$out" && mkdir -p "$out"
"$split_tool" --split --split-max-tensors 5 "$work/mpt-4h-f16.gguf" "$out/mpt-4h" > "$work/split.log"
ls -l "$out"
