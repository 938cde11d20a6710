#!/usr/bin/env bash
# Runs `pinscope stat -j -o REPORT -- pinscope-workload ring_churn` and
# samples, while it runs, pinscope's peak RSS (VmHWM) and the memory of
# the BPF maps it holds (the memlock of each map fd, /proc/PID/fdinfo).
# Prints one JSON object: rings, peak_rss_kib, peak_map_bytes, exit status.
# Used by `make bench` (section churn) and `make soak`.
#
# Usage: tools/churn-memory.sh OUTPUT_DIR REPORT RINGS PROCS
set -uo pipefail
[ $# -eq 4 ] || { echo "usage: tools/churn-memory.sh OUTPUT_DIR REPORT RINGS PROCS" >&2; exit 2; }
out=$1 report=$2
PINSCOPE_CHURN_RINGS=$3 PINSCOPE_CHURN_PROCS=$4 \
    "$out/pinscope" stat -j -o "$report" -- "$out/pinscope-workload" -o /dev/null ring_churn \
    2> /dev/null &
pid=$!
peak_map=0 peak_rss=0
map_bytes() {
    local f sum=0 v
    for f in /proc/"$1"/fdinfo/*; do
        v=$(awk '/^map_type:/ { m = 1 } /^memlock:/ && m { print $2 }' "$f" 2>/dev/null)
        [ -n "$v" ] && sum=$((sum + v))
    done
    echo $sum
}
while kill -0 $pid 2> /dev/null; do
    m=$(map_bytes $pid)
    [ "$m" -gt "$peak_map" ] && peak_map=$m
    r=$(awk '/^VmHWM:/ { print $2 }' /proc/$pid/status 2> /dev/null)
    [ -n "$r" ] && [ "$r" -gt "$peak_rss" ] && peak_rss=$r
    sleep 0.1
done
wait $pid
status=$?
printf '{"rings":%d,"procs":%d,"peak_rss_kib":%d,"peak_map_bytes":%d,"exit":%d}\n' \
    "$3" "$4" "$peak_rss" "$peak_map" "$status"
