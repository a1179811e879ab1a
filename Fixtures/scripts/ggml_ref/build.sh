#!/bin/sh
# Builds ggml_ref against ggml-base as Fixtures/scripts/build_llama_tools.sh built it from
# llama-cpp-python 0.3.36's vendored llama.cpp (no -march, so GCC does not contract the
# reference quantizers into FMA).
#   Fixtures/scripts/ggml_ref/build.sh LLAMA_CPP_DIR BUILD_DIR [OUT]
set -eu
SRC=$1/ggml
BUILD=$2
OUT=${3:-$(dirname "$BUILD")/../bin/ggml_ref}
DIR=$(dirname "$0")
cc -O2 -std=c11 -I "$SRC/include" "$DIR/ggml_ref.c" "$BUILD/ggml/src/libggml-base.a" -fopenmp -lm -lpthread -lstdc++ -o "$OUT"
echo "built $OUT"
