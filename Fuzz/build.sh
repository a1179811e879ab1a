#!/bin/sh
# Builds the libFuzzer targets into Fuzz/.build/: MPTCore, MPTFormats and MPTGraph compiled as
# static libraries with -sanitize=fuzzer,address (coverage + ASan), then one executable per
# Fuzz/Targets/Fuzz<Name>.swift, named fuzz-<name>.
#
# Usage: Fuzz/build.sh [target ...]   (default: every target)
set -eu
cd "$(dirname "$0")/.."
OUT=Fuzz/.build
mkdir -p "$OUT"
FLAGS="-sanitize=fuzzer,address -parse-as-library -swift-version 6 -O -g -I $OUT -I Sources/CZlib"

library() {
    name=$1; shift
    echo "building lib$name.a"
    # shellcheck disable=SC2086
    swiftc $FLAGS -module-name "$name" -emit-library -static -wmo \
        -emit-module -emit-module-path "$OUT/$name.swiftmodule" -o "$OUT/lib$name.a" "$@"
}

if [ ! -f "$OUT/libMPTGraph.a" ] || [ -n "$(find Sources/MPTCore Sources/MPTFormats Sources/MPTGraph -newer "$OUT/libMPTGraph.a" -name '*.swift')" ]; then
    library MPTCore Sources/MPTCore/*.swift
    library MPTFormats $(find Sources/MPTFormats -name '*.swift' | sort)
    library MPTGraph Sources/MPTGraph/*.swift
fi

targets=${*:-$(ls Fuzz/Targets | sed -n 's/^Fuzz\(.*\)\.swift$/\1/p' | tr 'A-Z' 'a-z')}
for target in $targets; do
    source=$(find Fuzz/Targets -iname "Fuzz$target.swift")
    [ -n "$source" ] || { echo "no target '$target'" >&2; exit 2; }
    echo "building fuzz-$target"
    # shellcheck disable=SC2086
    swiftc $FLAGS -module-name "Fuzz_$target" "$source" -L "$OUT" -lMPTGraph -lMPTFormats -lMPTCore -lz -o "$OUT/fuzz-$target" 2>&1 \
        | { grep -v "Cannot export local symbol" || true; }
done
