#!/usr/bin/env bash
# The suite behind `make test`: unit tests, the comparer's self-test, then
# the end-to-end suite on this kernel (and, later, on VM kernels).
# Usage: tools/test.sh OUTPUT_DIR
#   PINSCOPE_TEST_ARGS  extra arguments for pinscope-test on a kernel
#                       (e.g. "--backend NAME" or "--filter e2e/")
# Prints each stage's own output, a line per stage, and last
# "N passed, N failed, N skipped" over all stages. Exit 1 on any failure.
set -uo pipefail

if [ $# -ne 1 ] || [ ! -d "$1" ]; then
    echo "usage: tools/test.sh OUTPUT_DIR" >&2
    exit 2
fi
out=$(cd "$1" && pwd)
read -r -a extra_args <<< "${PINSCOPE_TEST_ARGS:-}"

total_pass=0 total_fail=0 total_skip=0
summaries=()
log=$(mktemp "${TMPDIR:-/tmp}/pinscope-stage.XXXXXX")
trap 'rm -f "$log"' EXIT

# run_stage NAME CMD...: runs CMD, shows its output, and adds the counts of
# its last line ("N passed, N failed, N skipped") to the totals. A stage
# without that line counts as one test by its exit status (77 = skip).
run_stage() {
    local name=$1 rc last p f s note=""
    shift
    echo "=== $name: $*"
    "$@" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    last=$(tail -n 1 "$log")
    if [[ $last =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed,\ ([0-9]+)\ skipped$ ]]; then
        p=${BASH_REMATCH[1]} f=${BASH_REMATCH[2]} s=${BASH_REMATCH[3]}
        if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
            f=1 note=" (exit $rc with no failure counted: counted as one)"
        fi
    else
        p=0 f=0 s=0
        case $rc in
            0) p=1 ;;
            77) s=1 ;;
            *) f=1 ;;
        esac
        note=" (no summary line; counted by exit status $rc)"
    fi
    total_pass=$((total_pass + p))
    total_fail=$((total_fail + f))
    total_skip=$((total_skip + s))
    summaries+=("$name: $p passed, $f failed, $s skipped$note")
}

echo "kernel: $(uname -r)"
# The tracer reads tracepoint formats; initramfs and minimal systems often
# boot without tracefs mounted.
if ! awk '$2 == "/sys/kernel/tracing" && $3 == "tracefs" { found = 1 }
          END { exit !found }' /proc/mounts; then
    if mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null; then
        echo "test.sh: mounted tracefs at /sys/kernel/tracing"
    else
        echo "test.sh: tracefs is not mounted at /sys/kernel/tracing and mounting it failed"
    fi
fi

# Like liburing's runner: a kernel BUG or WARNING during the suite fails it,
# whatever the tests said. Unreadable dmesg (a container) is no verdict.
dmesg_before=$(dmesg 2>/dev/null | wc -l) || dmesg_before=""

if [ -x "$out/unit-tests" ]; then
    run_stage unit "$out/unit-tests"
else
    echo "=== unit: $out/unit-tests not built, stage left out"
fi
run_stage self-test "$out/pinscope-test" --self-test
run_stage "kernel $(uname -r)" "$out/pinscope-test" --bin "$out" "${extra_args[@]}"

# ---------------------------------------------------------------------------
# VM KERNELS: the same suite on other kernels goes here. tools/vmtest.sh
# (being written separately) boots a kernel and runs pinscope-test inside;
# each kernel becomes one more stage, e.g.
#     for k in $(tools/vmtest.sh --list); do
#         run_stage "vm $k" tools/vmtest.sh --kernel "$k" -- \
#             /pinscope/pinscope-test --bin /pinscope "${extra_args[@]}"
#     done
# Not called yet: vmtest.sh and its interface are not settled.
# ---------------------------------------------------------------------------

if [ -n "$dmesg_before" ]; then
    bad=$(dmesg 2>/dev/null | tail -n +"$((dmesg_before + 1))" |
          grep -E 'BUG:|WARNING:|Oops|general protection fault' || true)
    if [ -n "$bad" ]; then
        echo "=== kernel log: BUG/WARNING during the suite:"
        echo "$bad"
        total_fail=$((total_fail + 1))
        summaries+=("kernel log: BUG/WARNING lines during the suite")
    fi
fi

echo "=== stages"
for line in "${summaries[@]}"; do
    echo "$line"
done
echo "$total_pass passed, $total_fail failed, $total_skip skipped"
[ "$total_fail" -eq 0 ]
