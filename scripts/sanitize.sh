#!/bin/sh
# Runs the test suite under AddressSanitizer, then ThreadSanitizer, each in its own scratch path
# (.build-asan, .build-tsan) so the normal .build stays untouched. Extra arguments go to
# `swift test` (e.g. `--filter Zip`). Exits non-zero if either run fails or reports.
#
# Usage: scripts/sanitize.sh [address|thread] [swift test arguments...]
set -u
cd "$(dirname "$0")/.."
sanitizers="address thread"
case ${1:-} in address|thread) sanitizers=$1; shift ;; esac
status=0
for sanitizer in $sanitizers; do
    case $sanitizer in address) scratch=.build-asan ;; thread) scratch=.build-tsan ;; esac
    echo "== swift test --sanitize=$sanitizer --scratch-path $scratch"
    LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/scripts/lsan-suppressions.txt} \
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=0} \
        nice swift test --sanitize="$sanitizer" --scratch-path "$scratch" "$@" || status=1
done
exit $status
