#!/bin/sh
# Builds llama_logits against the static libllama/libggml that Fixtures/scripts/build_llama_tools.sh
# built from llama-cpp-python 0.3.36's vendored llama.cpp (the same link line as llama-perplexity).
#   Fixtures/scripts/llama_logits/build.sh LLAMA_CPP_DIR BUILD_DIR [OUT]
set -eu
SRC=$1
BUILD=$2
OUT=${3:-$(dirname "$BUILD")/../bin/llama_logits}
DIR=$(dirname "$0")
cc -O2 -std=c11 -I "$SRC/include" -I "$SRC/ggml/include" "$DIR/llama_logits.c" \
  "$BUILD/src/libllama.a" "$BUILD/ggml/src/libggml.a" "$BUILD/ggml/src/libggml-cpu.a" "$BUILD/ggml/src/libggml-base.a" \
  -ldl -fopenmp -lm -lpthread -lstdc++ -o "$OUT"
echo "built $OUT"
