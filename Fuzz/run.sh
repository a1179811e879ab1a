#!/bin/sh
# Builds and runs every libFuzzer target for a fixed time each, one after another (niced),
# with a 512 MB RSS limit, a 10 s per-input timeout and inputs up to 64 KiB. Prints, per
# target, executions, executions per second, coverage and findings.
#
# Usage: Fuzz/run.sh [seconds-per-target] [target ...]     (default: 60 s, every target)
# Corpora grow in Fuzz/.build/corpus/<target> (seeded from Fuzz/seeds/ and Fixtures/);
# crashing, hanging or out-of-memory inputs land in Fuzz/.build/findings/<target>/.
set -u
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET=${1:-60}
[ $# -gt 0 ] && shift
TARGETS=${*:-"safetensors zip pickle gguf config tokenizer imatrix"}
OUT=Fuzz/.build
# Swift's own crash backtracer would take the trap signal first and exit without libFuzzer
# writing the crashing input; leave crashes to libFuzzer.
export SWIFT_BACKTRACE=enable=no
Fuzz/build.sh $TARGETS || exit 2

seed() {
    target=$1; corpus=$2
    case $target in
        safetensors) set -- Fixtures/hostile/safetensors/*.safetensors Fixtures/pytorch/*.safetensors ;;
        zip) set -- Fixtures/hostile/pickle/*.bin Fixtures/pytorch/*.bin ;;
        pickle) set -- ;;
        gguf) set -- Fixtures/goldens/ggml/*.gguf ;;
        imatrix) set -- Fixtures/goldens/imatrix/* ;;
        config) set -- Fixtures/models/*/config.json Fixtures/models/*/*.index.json ;;
        tokenizer) set -- ;; # the fixture tokenizer.json files exceed -max_len; seeds/tokenizer has small ones
    esac
    [ -d "Fuzz/seeds/$target" ] && set -- "$@" Fuzz/seeds/"$target"/*
    for file in "$@"; do
        [ -f "$file" ] && cp "$file" "$corpus/seed-$(echo "$file" | tr '/' '_')"
    done
}

status=0
summary=""
for target in $TARGETS; do
    corpus=$OUT/corpus/$target
    findings=$OUT/findings/$target
    mkdir -p "$corpus" "$findings"
    seed "$target" "$corpus"
    log=$OUT/fuzz-$target.log
    echo "== $target: ${SECONDS_PER_TARGET}s"
    nice -n 10 "$OUT/fuzz-$target" "$corpus" -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=512 \
        -malloc_limit_mb=512 -timeout=10 -max_len=65536 -print_final_stats=1 \
        -artifact_prefix="$findings/" >"$log" 2>&1
    code=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    features=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    found=$(find "$findings" -type f | wc -l)
    line="$target: exit $code, ${execs:-?} execs, ${rate:-?}/s, cov ${cov:-?}, ft ${features:-?}, corpus $(ls "$corpus" | wc -l), findings $found"
    echo "$line"
    summary="$summary$line
"
    if [ "$code" -ne 0 ] || [ "$found" -ne 0 ]; then
        status=1
        grep -m1 -E 'ERROR|Fatal error|deadly signal|out-of-memory|timeout' "$log"
        echo "   log: $log"
    fi
done
echo "== summary"
printf '%s' "$summary"
exit $status
