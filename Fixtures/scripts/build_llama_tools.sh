#!/usr/bin/env bash
# Build llama.cpp's command-line tools (the oracle for the quantization / verify issues)
# from the llama-cpp-python 0.3.36 sdist's vendor/llama.cpp.
#
#   Fixtures/scripts/build_llama_tools.sh [BIN_DIR]      # default /work/llama-tools/bin
#
# Environment:
#   PYTHON    python of the venv to use (default /work/venv-pinned/bin/python); cmake, ninja
#             and scikit-build-core (for pip's metadata step) are pip-installed into it.
#   WORK      where the sdist is downloaded, unpacked and built (default: BIN_DIR/../src).
#   JOBS      parallel compile jobs (default 2).
#   GGML_AVX512_FLAGS  "on", "off" or "auto" (default auto: on only if /proc/cpuinfo lists
#             avx512f; each AVX512 sub-flag also only if listed).  AVX512 code on a CPU
#             without it dies with SIGILL; the 2-core AMD EPYC (Zen 2) machines here have
#             AVX2/FMA/F16C and no AVX512.
#
# Never GGML_NATIVE (on some machines cpuid shows AMX that the kernel has not enabled:
# SIGILL), and no global -march / CMAKE_C_FLAGS: the CPU backend gets exactly the GGML_*
# instruction-set flags below.  Built: llama-quantize llama-perplexity llama-imatrix
# llama-gguf-split llama-bench llama-tokenize.  llama-cli is not built: in this llama.cpp it
# is a client of llama-server (LLAMA_BUILD_SERVER, web UI, HTTP) and costs as much as the rest.
#
# Prints the flags it used (also written to BIN_DIR/BUILD_INFO.txt).  The same flags
# suit `CMAKE_ARGS="$(cat BIN_DIR/CMAKE_ARGS)" pip install llama-cpp-python==0.3.36`.
set -euo pipefail

BIN_DIR=${1:-/work/llama-tools/bin}
PYTHON=${PYTHON:-/work/venv-pinned/bin/python}
WORK=${WORK:-$(dirname "$BIN_DIR")/src}
JOBS=${JOBS:-2}
VERSION=0.3.36
mode=${GGML_AVX512_FLAGS:-auto}

has() { grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -qx "$1"; }
onoff() {  # onoff CPUFLAG -> ON/OFF under $mode
  case $mode in on) echo ON ;; off) echo OFF ;; *) if has avx512f && has "$1"; then echo ON; else echo OFF; fi ;; esac
}

FLAGS=(-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON
       -DGGML_AVX512="$(onoff avx512f)" -DGGML_AVX512_VBMI="$(onoff avx512vbmi)"
       -DGGML_AVX512_VNNI="$(onoff avx512_vnni)" -DGGML_AVX512_BF16="$(onoff avx512_bf16)"
       -DLLAMA_CURL=OFF -DCMAKE_BUILD_TYPE=Release)
EXTRA=(-DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF
       -DLLAMA_BUILD_APP=OFF -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_OPENSSL=OFF -DBUILD_SHARED_LIBS=OFF)
TARGETS=(llama-quantize llama-perplexity llama-imatrix llama-gguf-split llama-bench llama-tokenize)

mkdir -p "$BIN_DIR" "$WORK"
BIN_DIR=$(cd "$BIN_DIR" && pwd)
"$PYTHON" -m pip install -q cmake ninja scikit-build-core
VENV_BIN=$(dirname "$PYTHON")
export PATH="$VENV_BIN:$PATH"

cd "$WORK"
if [ ! -f "llama_cpp_python-$VERSION.tar.gz" ]; then
  # --no-build-isolation: pip's metadata step then uses the venv's scikit-build-core
  # instead of building its whole build-dependency chain from source under :all:.
  "$PYTHON" -m pip download --no-deps --no-binary :all: --no-build-isolation \
    "llama-cpp-python==$VERSION" -d .
fi
[ -d "llama_cpp_python-$VERSION" ] || tar xzf "llama_cpp_python-$VERSION.tar.gz"
SRC="$WORK/llama_cpp_python-$VERSION/vendor/llama.cpp"

cmake -S "$SRC" -B "$WORK/build" -G Ninja "${FLAGS[@]}" "${EXTRA[@]}" \
  -DCMAKE_MAKE_PROGRAM="$VENV_BIN/ninja"
cmake --build "$WORK/build" --target "${TARGETS[@]}" -j "$JOBS"

for t in "${TARGETS[@]}"; do
  cp "$WORK/build/bin/$t" "$BIN_DIR/"
done
printf '%s ' "${FLAGS[@]}" > "$BIN_DIR/CMAKE_ARGS"
{
  echo "llama.cpp from llama-cpp-python $VERSION sdist (vendor/llama.cpp): $SRC"
  echo "built $(date -u +%Y-%m-%dT%H:%M:%SZ) on: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)"
  echo "cmake flags: ${FLAGS[*]} ${EXTRA[*]}"
  echo "tools: ${TARGETS[*]}"
} > "$BIN_DIR/BUILD_INFO.txt"
cat "$BIN_DIR/BUILD_INFO.txt"
"$BIN_DIR/llama-quantize" --help >/dev/null 2>&1 || true
"$BIN_DIR/llama-perplexity" --version 2>&1 | tail -2
