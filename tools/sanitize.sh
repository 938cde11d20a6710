#!/usr/bin/env bash
# The sanitizers stage of `make test` (`make sanitize` runs it alone): the
# unit tests and the host suite again, with pinscope, pinscope-workload and
# unit-tests built by clang with AddressSanitizer (LeakSanitizer included)
# and UndefinedBehaviorSanitizer (`make san-build`, OUTPUT_DIR/asan).
#
# Every report halts and aborts the process that made it (halt_on_error,
# abort_on_error; UBSan is built with -fno-sanitize-recover), so the test
# that ran it fails. Reports also go to files (log_path): a report from a
# process whose exit no test looks at still fails the stage, in a last
# check, "sanitizers/reports", that prints every report.
#
# Usage: tools/sanitize.sh OUTPUT_DIR [pinscope-test args...]
#   OUTPUT_DIR holds pinscope-test (not sanitized: it is the harness) and
#   asan/ the sanitized binaries.
# Left out (pinscope-test --skip, each a SKIP line with the reason):
# - *ulimit*: they run pinscope under an address-space limit (ulimit -v),
#   and ASan reserves ~15 TiB of address space for its shadow at start-up,
#   so the sanitized binary dies before main under any such limit;
# - *churn*: 20,000 rings created and harvested take ~10 s plain but over
#   the suite's 120 s per process sanitized, on a 2-core machine; the plain
#   host stage runs them.
# The programs run see PINSCOPE_SANITIZED=1.
# Last line: "N passed, N failed, N skipped" over all of it. Exit 1 on any
# failure.
set -uo pipefail

if [ $# -lt 1 ] || [ ! -d "$1" ]; then
    echo "usage: tools/sanitize.sh OUTPUT_DIR [pinscope-test args...]" >&2
    exit 2
fi
out=$(cd "$1" && pwd)
shift
san=$out/asan
for f in "$san/unit-tests" "$san/pinscope" "$san/pinscope-workload" "$out/pinscope-test"; do
    if [ ! -x "$f" ]; then
        echo "sanitize: $f is not built (make san-build)"
        echo "0 passed, 1 failed, 0 skipped"
        exit 1
    fi
done

reports=$(mktemp -d "${TMPDIR:-/tmp}/pinscope-san.XXXXXX") || exit 1
trap 'rm -rf "$reports"' EXIT
common="halt_on_error=1:abort_on_error=1:print_summary=1"
export ASAN_OPTIONS="$common:detect_leaks=1:log_path=$reports/asan"
export UBSAN_OPTIONS="$common:print_stacktrace=1:log_path=$reports/ubsan"
export PINSCOPE_SANITIZED=1

pass=0 fail=0 skip=0
# count LOG: adds the "N passed, N failed, N skipped" of LOG's last line;
# a missing line (a crashed runner) is one failure.
count() {
    local last
    last=$(tail -n 1 "$1")
    if [[ $last =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed,\ ([0-9]+)\ skipped$ ]]; then
        pass=$((pass + BASH_REMATCH[1]))
        fail=$((fail + BASH_REMATCH[2]))
        skip=$((skip + BASH_REMATCH[3]))
        [ "$2" -eq 0 ] || [ "${BASH_REMATCH[2]}" -ne 0 ] || fail=$((fail + 1))
    else
        echo "FAIL sanitizers/$3: exit $2 without a summary line"
        fail=$((fail + 1))
    fi
}

echo "--- sanitized unit tests: $san/unit-tests"
"$san/unit-tests" 2>&1 | tee "$reports/unit.out"
count "$reports/unit.out" "${PIPESTATUS[0]}" unit
skips=(--skip ulimit --skip churn)
echo "--- sanitized host suite: $out/pinscope-test --bin $san ${skips[*]} $*"
"$out/pinscope-test" --bin "$san" "${skips[@]}" "$@" 2>&1 | tee "$reports/suite.out"
count "$reports/suite.out" "${PIPESTATUS[0]}" suite

found=$(find "$reports" -name 'asan.*' -o -name 'ubsan.*' | sort)
if [ -z "$found" ]; then
    echo "PASS sanitizers/reports (none)"
    pass=$((pass + 1))
else
    echo "FAIL sanitizers/reports: $(echo "$found" | wc -l) report(s):"
    for f in $found; do
        echo "  --- $(basename "$f")"
        sed 's/^/  | /' "$f"
    done
    fail=$((fail + 1))
fi
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
