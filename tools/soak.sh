#!/usr/bin/env bash
# `make soak`: the lifetime tests at full size, too long for `make test`
# (about 10 minutes on our 2-core machine; see the README):
#   - 1,000,000 rings created, registered and destroyed by 8 processes in
#     one traced session: every registration counted, none dropped
#     (e2e/ring_churn, check/ring_churn), and the same under `pinscope stat`
#     with its peak RSS and BPF map memory printed;
#   - 100,000 short-lived processes, then one that pins per IO: check
#     still fails (check/many_procs).
# Usage: tools/soak.sh OUTPUT_DIR
set -uo pipefail
out=$(cd "${1:?usage: tools/soak.sh OUTPUT_DIR}" && pwd)
tools=$(cd "$(dirname "$0")" && pwd)
rings=${PINSCOPE_SOAK_RINGS:-1000000}
procs=${PINSCOPE_SOAK_PROCS:-100000}
fail=0 start=$(date +%s)

for filter in ring_churn many_procs; do
    PINSCOPE_CHURN_RINGS=$rings PINSCOPE_CHURN_PROCS=8 PINSCOPE_SHORT_PROCS=$procs \
        "$out/pinscope-test" --timeout 3600 --filter "$filter" || fail=1
done
report=$(mktemp "${TMPDIR:-/tmp}/pinscope-soak.XXXXXX")
trap 'rm -f "$report"' EXIT
echo "soak: memory over $rings churned rings under pinscope stat:"
"$tools/churn-memory.sh" "$out" "$report" "$rings" 8 || fail=1
grep -o '"rings_dropped": *[0-9]*' "$report" | grep -q ': *0$' ||
    { echo "soak: rings were dropped" >&2; fail=1; }
echo "soak: $(($(date +%s) - start)) s, $([ $fail -eq 0 ] && echo passed || echo FAILED)"
exit $fail
