#!/bin/sh
# Builds the libFuzzer targets into Fuzz/.build/: the libraries below compiled as static
# libraries with -sanitize=fuzzer,address (coverage + ASan), then one executable per
# Fuzz/Targets/Fuzz<Name>.swift, named fuzz-<name>, linked against all of them.
#
# Usage: Fuzz/build.sh [target ...]   (default: every target)
#   FUZZ_SANITIZE=fuzzer FUZZ_OUT=Fuzz/.build-noasan Fuzz/build.sh pickle
#   builds without ASan into another directory (several times faster per execution, for long runs;
#   Swift's own bounds and overflow checks still trap).
set -eu
cd "$(dirname "$0")/.."
OUT=${FUZZ_OUT:-Fuzz/.build}
mkdir -p "$OUT"
FLAGS="-sanitize=${FUZZ_SANITIZE:-fuzzer,address} -parse-as-library -swift-version 6 -O -g -I $OUT -I Sources/CZlib"
# Dependency order (Package.swift): each library imports only those before it. The kernel
# copies get their CPU level's flags, as in Package.swift.
LIBRARIES="MPTKernelInterface MPTKernelsPortable MPTKernelsAVX2 MPTKernelsAVX512 MPTCore MPTFormats MPTTokenizer MPTGraph"

level_flags() {
    case "$1" in
        MPTKernelsAVX2) echo "-target-cpu haswell -D MPTKIT_FMA" ;;
        MPTKernelsAVX512) echo "-target-cpu skylake-avx512 -D MPTKIT_FMA -D MPTKIT_AVX512" ;;
        *) echo "" ;;
    esac
}

library() {
    name=$1; shift
    echo "building lib$name.a"
    # shellcheck disable=SC2086
    swiftc $FLAGS $(level_flags "$name") -module-name "$name" -emit-library -static -wmo \
        -emit-module -emit-module-path "$OUT/$name.swiftmodule" -o "$OUT/lib$name.a" "$@"
}

# The C module MPTCore imports (cpuid/xgetbv): compiled with clang, imported through a module map.
mkdir -p "$OUT/CMPTCPUFeatures"
cat >"$OUT/CMPTCPUFeatures/module.modulemap" <<MAP
module CMPTCPUFeatures {
    header "$(pwd)/Sources/CMPTCPUFeatures/include/mptkit_cpu_features.h"
    export *
}
MAP
if [ ! -f "$OUT/libCMPTCPUFeatures.a" ] || [ Sources/CMPTCPUFeatures/cpu_features.c -nt "$OUT/libCMPTCPUFeatures.a" ]; then
    echo "building libCMPTCPUFeatures.a"
    # shellcheck disable=SC2086
    clang -O2 -g -fsanitize=$(echo "${FUZZ_SANITIZE:-fuzzer,address}" | sed 's/fuzzer/fuzzer-no-link/') -I Sources/CMPTCPUFeatures/include \
        -c Sources/CMPTCPUFeatures/cpu_features.c -o "$OUT/cpu_features.o"
    ar rcs "$OUT/libCMPTCPUFeatures.a" "$OUT/cpu_features.o"
fi
FLAGS="$FLAGS -I $OUT/CMPTCPUFeatures"

# A library is rebuilt when one of its sources is newer, its file list changed (a file added,
# moved or removed), or a library it may import was rebuilt.
rebuilt=no
for name in $LIBRARIES; do
    [ -d "Sources/$name" ] || { echo "no Sources/$name" >&2; exit 2; }
    sources=$(find "Sources/$name" -name '*.swift' | LC_ALL=C sort)
    if [ "$rebuilt" = yes ] || [ ! -f "$OUT/lib$name.a" ] || [ "$sources" != "$(cat "$OUT/$name.sources" 2>/dev/null)" ] \
        || [ -n "$(find "Sources/$name" -newer "$OUT/lib$name.a" -name '*.swift')" ]; then
        # shellcheck disable=SC2086
        library "$name" $sources
        printf '%s\n' "$sources" >"$OUT/$name.sources"
        rebuilt=yes
    fi
done

links="-lCMPTCPUFeatures"
for name in $LIBRARIES; do links="-l$name $links"; done

targets=${*:-$(ls Fuzz/Targets | sed -n 's/^Fuzz\(.*\)\.swift$/\1/p' | tr 'A-Z' 'a-z')}
for target in $targets; do
    source=$(find Fuzz/Targets -iname "Fuzz$target.swift")
    [ -n "$source" ] || { echo "no target '$target'" >&2; exit 2; }
    echo "building fuzz-$target"
    # The linker's "Cannot export local symbol" notes about ASan internals are noise. A failed
    # compile or link must fail the build, so the exit status is swiftc's, not the filter's.
    log="$OUT/fuzz-$target.build.log"
    # shellcheck disable=SC2086
    if ! swiftc $FLAGS -module-name "Fuzz_$target" "$source" -L "$OUT" $links -lz -o "$OUT/fuzz-$target" >"$log" 2>&1; then
        grep -v "Cannot export local symbol" "$log" >&2 || true
        echo "fuzz-$target failed to build" >&2
        exit 1
    fi
    grep -v "Cannot export local symbol" "$log" || true
done
