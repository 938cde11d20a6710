#!/usr/bin/env bash
# Runs every libFuzzer target (tests/fuzz/fuzz_*.c, built by `make
# san-build` into SAN_DIR/fuzz/) for SECONDS each: `make fuzz` for a long
# run (FUZZ_SECONDS, default 300), tools/test.sh's fuzz stage for a few
# seconds. Each target starts from its seed corpus (tests/fuzz/corpus/NAME,
# read only) and from what earlier runs here found (SAN_DIR/fuzz/NAME.corpus,
# never committed). A crash, a sanitizer report, a failed check, a leak or
# a timeout fails the target; the input that did it is saved as
# SAN_DIR/fuzz/NAME-crash-… (or leak-, timeout-, oom-) and printed, with
# the command that replays it.
#
# Usage: tools/fuzz.sh [--seconds N] SAN_DIR
# Last line: "N passed, N failed, N skipped". Exit 1 when a target failed.
set -uo pipefail

TOOLS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
seeds_dir=$TOOLS_DIR/../tests/fuzz/corpus
seconds=300
if [ "${1:-}" = --seconds ]; then
    seconds=$2
    shift 2
fi
if [ $# -ne 1 ] || [ ! -d "$1" ]; then
    echo "usage: tools/fuzz.sh [--seconds N] SAN_DIR" >&2
    exit 2
fi
dir=$(cd "$1" && pwd)/fuzz
# libFuzzer installs its own crash handling; UBSan is built not to recover
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"

pass=0 fail=0 skip=0
targets=()
for src in "$TOOLS_DIR"/../tests/fuzz/fuzz_*.c; do
    targets+=("$(basename "$src" .c)")
done
for t in "${targets[@]}"; do
    bin=$dir/$t
    if [ ! -x "$bin" ]; then
        echo "FAIL fuzz/$t: $bin is not built (make san-build)"
        fail=$((fail + 1))
        continue
    fi
    if [ ! -d "$seeds_dir/$t" ]; then
        echo "FAIL fuzz/$t: no seed corpus $seeds_dir/$t"
        fail=$((fail + 1))
        continue
    fi
    mkdir -p "$dir/$t.corpus"
    rm -f "$dir/$t".log
    start=$(date +%s)
    # -error_exitcode: libFuzzer's default, 77, means "skipped" to our runners
    "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -error_exitcode=1 -timeout_exitcode=1 -print_final_stats=1 \
        -artifact_prefix="$dir/$t-" "$dir/$t.corpus" "$seeds_dir/$t" >"$dir/$t.log" 2>&1
    rc=$?
    secs=$(($(date +%s) - start))
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/$t.log")
    if [ "$rc" -eq 0 ]; then
        echo "PASS fuzz/$t (${secs}s, ${runs:-?} inputs, corpus $(ls "$dir/$t.corpus" | wc -l) found here + $(ls "$seeds_dir/$t" | wc -l) seeds)"
        pass=$((pass + 1))
    else
        echo "FAIL fuzz/$t (${secs}s): exit $rc; the log's end:"
        tail -n 60 "$dir/$t.log" | sed 's/^/  | /'
        artifact=$(sed -n "s/.*Test unit written to \(.*\)$/\1/p" "$dir/$t.log" | tail -n1)
        [ -z "$artifact" ] || echo "  replay: $bin $artifact"
        fail=$((fail + 1))
    fi
done
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
