#!/usr/bin/env bash
# Runs the whole test suite under ThreadSanitizer and under AddressSanitizer, each build in a
# scratch folder of its own (.build-tsan, .build-asan), so the ordinary .build is left alone.
#
#   scripts/sanitize.sh                     both passes: thread, then address
#   scripts/sanitize.sh thread              one pass (thread or address)
#   scripts/sanitize.sh address -- --filter StormTests    arguments after -- go to `swift test`
#
# A pass fails when a test fails or the sanitizer reports anything (ThreadSanitizer makes the
# test process exit with status 66 after a report; AddressSanitizer stops at the first error,
# and LeakSanitizer reports what is still allocated and unreachable when a process ends, except
# the harness's and Foundation's own losses listed in scripts/lsan.supp). The `skyhost` program
# that some tests run is built with the same sanitizer. Prints how long each pass took.
set -euo pipefail
cd "$(dirname "$0")/.."

passes=()
while [ $# -gt 0 ]; do
    case "$1" in
        thread|address) passes+=("$1"); shift ;;
        --) shift; break ;;
        *) echo "usage: $0 [thread] [address] [-- swift test arguments]" >&2; exit 2 ;;
    esac
done
[ ${#passes[@]} -gt 0 ] || passes=(thread address)

scripts/install-deps.sh
export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=0 second_deadlock_stack=1}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$PWD/scripts/lsan.supp}"

status=0
for sanitizer in "${passes[@]}"; do
    case "$sanitizer" in
        thread) scratch=.build-tsan ;;
        address) scratch=.build-asan ;;
    esac
    start=$(date +%s)
    echo "== $sanitizer sanitizer: building in $scratch"
    swift build --build-tests --sanitize="$sanitizer" --scratch-path "$scratch"
    built=$(date +%s)
    echo "== $sanitizer sanitizer: testing"
    if swift test --skip-build --sanitize="$sanitizer" --scratch-path "$scratch" "$@"; then
        result=passed
    else
        result=FAILED
        status=1
    fi
    done_at=$(date +%s)
    echo "== $sanitizer sanitizer: $result (build $((built - start)) s, tests $((done_at - built)) s)"
done
exit $status
