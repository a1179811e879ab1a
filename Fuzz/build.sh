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
# Dependency order (Package.swift): each library imports only those before it.
LIBRARIES="MPTCore MPTFormats MPTTokenizer MPTGraph"

library() {
    name=$1; shift
    echo "building lib$name.a"
    # shellcheck disable=SC2086
    swiftc $FLAGS -module-name "$name" -emit-library -static -wmo \
        -emit-module -emit-module-path "$OUT/$name.swiftmodule" -o "$OUT/lib$name.a" "$@"
}

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

links=""
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
