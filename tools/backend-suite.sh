#!/bin/sh
# The exact-count suite once per backend the running kernel offers. POSIX sh:
# tools/test.sh runs it on the host, and tools/vmtest.sh runs it as the guest
# command under busybox, so one boot covers every backend of a VM kernel.
#
# Usage: backend-suite.sh BIN_DIR [pinscope-test args...]
#   BIN_DIR holds pinscope, pinscope-workload and pinscope-test.
#   PINSCOPE_BACKENDS  backends to consider (default: fentry kprobe tracepoint)
#
# `pinscope features -j` says which backends are available here
# (.backends.NAME.available). Each available one gets a quick
# `pinscope stat --backend=NAME -- true` first: a backend pinscope rejects or
# cannot load is one failure with pinscope's own message, not a suite of
# identical failures. Then `pinscope-test --bin BIN_DIR --backend NAME`.
# One line per backend as soon as it is done, all of them again at the end
# (tools/test.sh reads the last line of each backend):
#   PINSCOPE-RESULT|BACKEND|STATE|PASSED|FAILED|SKIPPED|SECONDS|NOTE
# STATE: ran, unavailable (features says no; counts nothing), rejected
# (pinscope exit 2), broken (pinscope could not trace), error (no summary).
# Exit 0 when nothing failed.

if [ $# -lt 1 ] || [ ! -d "$1" ]; then
    echo "usage: backend-suite.sh BIN_DIR [pinscope-test args...]" >&2
    exit 2
fi
bin=$1
shift
backends=${PINSCOPE_BACKENDS:-fentry kprobe tracepoint}
# The lifetime cases at sizes a TCG guest (~20x slower) runs in seconds,
# still larger than the tables they are given (ring_churn, many_procs);
# the host runs them at 20,000 rings and 5,000 processes.
if [ -n "${PINSCOPE_GUEST:-}" ]; then
    export PINSCOPE_CHURN_RINGS=${PINSCOPE_CHURN_RINGS:-3000}
    export PINSCOPE_POOL_RINGS=${PINSCOPE_POOL_RINGS:-1000}
    export PINSCOPE_SHORT_PROCS=${PINSCOPE_SHORT_PROCS:-1500}
    export PINSCOPE_TEST_TABLE_SIZE=${PINSCOPE_TEST_TABLE_SIZE:-2048}
    export PINSCOPE_TEST_PROC_TABLE_SIZE=${PINSCOPE_TEST_PROC_TABLE_SIZE:-1024}
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pinscope-backends.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
results=""
failed_any=0

now() { date +%s; }

# result BACKEND STATE PASSED FAILED SKIPPED SECONDS NOTE: printed at once
# (a guest that dies later keeps what it had) and again at the end.
result() {
    line=$(printf 'PINSCOPE-RESULT|%s|%s|%s|%s|%s|%s|%s' \
        "$1" "$2" "$3" "$4" "$5" "$6" "$(printf '%s' "$7" | tr '\n|' '  ')")
    echo "$line"
    results="$results$line
"
    [ "$4" -eq 0 ] || failed_any=1
}

echo "kernel: $(uname -r)"
# "NAME yes|no HOW" per backend, from the pretty-printed JSON (one key a line).
if ! "$bin/pinscope" features -j >"$tmp/features.json" 2>"$tmp/features.err"; then
    echo "pinscope features -j failed:"
    cat "$tmp/features.err"
fi
awk '
    /^  "backends": *\{/ { inb = 1; next }
    inb && /^  \}/ { inb = 0 }
    !inb { next }
    /^    "[^"]*": *\{/ { name = $0; sub(/^ *"/, "", name); sub(/".*/, "", name) }
    /"available": *true/ { avail[name] = "yes" }
    /"available": *false/ { avail[name] = "no" }
    /"how": *"/ { how = $0; sub(/^ *"how": *"/, "", how); sub(/",? *$/, "", how); why[name] = how }
    END { for (n in avail) print n, avail[n], why[n] }' "$tmp/features.json" >"$tmp/backends"

for b in $backends; do
    line=$(grep "^$b " "$tmp/backends")
    if [ -z "$line" ]; then
        echo "=== backend $b: pinscope features -j does not list it"
        result "$b" error 0 1 0 0 "pinscope features -j does not list backend $b"
        continue
    fi
    why=$(printf '%s\n' "$line" | cut -d' ' -f3-)
    case $line in
        "$b no "*)
            echo "=== backend $b: not available here: $why"
            result "$b" unavailable 0 0 0 0 "$why"
            continue ;;
    esac
    start=$(now)
    "$bin/pinscope" stat -j -o "$tmp/check.json" --backend="$b" -- true \
        >"$tmp/check.out" 2>&1
    rc=$?
    if [ "$rc" -ne 0 ]; then
        msg=$(tr -d '\n' <"$tmp/check.out" | sed 's/^{"error":"\(.*\)"}$/\1/')
        echo "=== backend $b: pinscope stat --backend=$b exits $rc: $msg"
        if [ "$rc" -eq 2 ]; then
            result "$b" rejected 0 1 0 $(($(now) - start)) "pinscope rejects --backend=$b (exit 2): $msg"
        else
            result "$b" broken 0 1 0 $(($(now) - start)) "pinscope --backend=$b cannot trace (exit $rc): $msg"
        fi
        continue
    fi
    echo "=== backend $b: $bin/pinscope-test --bin $bin --backend $b $*"
    # Keep the exit status through the pipe: busybox sh has no PIPESTATUS.
    { "$bin/pinscope-test" --bin "$bin" --backend "$b" "$@"; echo $? >"$tmp/rc"; } |
        tee "$tmp/suite.log"
    rc=$(cat "$tmp/rc")
    secs=$(($(now) - start))
    summary=$(tail -n 1 "$tmp/suite.log")
    case $summary in
        *" passed, "*" failed, "*" skipped")
            p=$(echo "$summary" | cut -d' ' -f1)
            f=$(echo "$summary" | cut -d' ' -f3)
            s=$(echo "$summary" | cut -d' ' -f5)
            if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
                result "$b" ran "$p" 1 "$s" "$secs" "pinscope-test exited $rc with no failure counted"
            else
                result "$b" ran "$p" "$f" "$s" "$secs" ""
            fi ;;
        *)
            result "$b" error 0 1 0 "$secs" "pinscope-test exited $rc without a summary line" ;;
    esac
done

printf '%s' "$results"
exit "$failed_any"
