#!/usr/bin/env bash
# The exporter and top against real consumers, on this kernel (host only:
# the VM initramfs has no Prometheus). A real Prometheus server on loopback
# scrapes `pinscope exporter` every 500 ms; workload cases print their
# oracle and hold their rings open (pinscope-workload -k) while the test
# asks Prometheus's HTTP API for each number and compares it with the
# oracle. Then the exporter's lifecycle (SIGTERM, a port in use, 1,000
# scrapes, ring churn) and `pinscope top` under tmux.
#
# Usage: tools/exporter-test.sh OUTPUT_DIR
# Ends with "N passed, N failed, N skipped"; exit 1 on any failure, 77 when
# it cannot run here (not root, or prometheus/promtool/tmux/curl/jq missing).
set -uo pipefail

out=$(cd "${1:?usage: tools/exporter-test.sh OUTPUT_DIR}" && pwd)
PS=$out/pinscope
WL=$out/pinscope-workload
GRACE=5			# --grace of the exporter under test, seconds
CHURN_RINGS=${PINSCOPE_CHURN_RINGS:-100000}

pass=0 fail=0 skip=0
ok()   { pass=$((pass + 1)); echo "PASS $1"; }
bad()  { fail=$((fail + 1)); echo "FAIL $1: $2"; }
skp()  { skip=$((skip + 1)); echo "SKIP $1: $2"; }
check() { if [ "$2" = "$3" ]; then ok "$1"; else bad "$1" "got '$2', want '$3'"; fi; }

for tool in prometheus promtool tmux curl jq python3; do
    if ! command -v "$tool" >/dev/null; then
        echo "exporter-test: $tool is not installed (tools/install-deps.sh test)"
        echo "0 passed, 0 failed, 1 skipped"
        exit 77
    fi
done
if [ "$(id -u)" -ne 0 ]; then
    echo "exporter-test: needs root (BPF)"
    echo "0 passed, 0 failed, 1 skipped"
    exit 77
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/pinscope-exporter.XXXXXX")
pids=()
cleanup() {
    local p
    for p in "${pids[@]+"${pids[@]}"}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${pids[@]+"${pids[@]}"}"; do wait "$p" 2>/dev/null; done
    tmux -L "pinscope-top-$$" kill-server 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_for SECONDS CMD...: until CMD succeeds; 1 on timeout.
wait_for() {
    local end=$((SECONDS + $1))
    shift
    until "$@"; do
        [ "$SECONDS" -lt "$end" ] || return 1
        sleep 0.1
    done
}

# prom_value EXPR: the instant vector's single value, "none" when it has
# no sample, "many" when more than one.
prom_value() {
    curl -sf --get "http://127.0.0.1:$prom_port/api/v1/query" --data-urlencode "query=$1" |
        jq -r 'if .status != "success" then "error"
               elif (.data.result | length) == 0 then "none"
               elif (.data.result | length) > 1 then "many"
               else .data.result[0].value[1] end'
}

# expect NAME EXPR WANT: Prometheus's answer equals WANT within 20 s (a
# scrape and the exporter's collection both have to happen first).
expect() {
    local name=$1 expr=$2 want=$3 got end=$((SECONDS + 20))
    while :; do
        got=$(prom_value "$expr")
        [ "$got" != "$want" ] || break
        [ "$SECONDS" -lt "$end" ] || break
        sleep 0.2
    done
    check "$name" "$got" "$want"
}

# --- the exporter and Prometheus --------------------------------------------
# The exporter traces one process tree (-- CMD): a driver that starts the
# workload cases the test names on a control fifo. System-wide, rings of
# other tenants of this machine (tens of thousands in a churn test) would
# only slow every collection down.
exp_port=$(free_port)
prom_port=$(free_port)
mkfifo "$work/ctl"
cat >"$work/driver.sh" <<'DRIVER'
# one line per case: run it held (-k), stdin and oracle through files named by it
while read -r c; do
    "$WL" -k "$c" <"$work/hold-$c" >"$work/oracle-$c" 2>"$work/wl-$c.err" &
done
wait
DRIVER
WL=$WL work=$work "$PS" exporter --listen "127.0.0.1:$exp_port" --grace "$GRACE" -i 0.2 \
    -- bash "$work/driver.sh" <"$work/ctl" >"$work/exporter.out" 2>"$work/exporter.err" &
exp_pid=$!
pids+=("$exp_pid")
exec {ctl}>"$work/ctl"
if ! wait_for 30 curl -sf -o /dev/null "http://127.0.0.1:$exp_port/metrics"; then
    bad exporter/start "no /metrics within 30 s: $(tail -n 3 "$work/exporter.err")"
    echo "$pass passed, $fail failed, $skip skipped"
    exit 1
fi
ok exporter/start

mkdir -p "$work/tsdb"
cat >"$work/prometheus.yml" <<YML
global:
  scrape_interval: 500ms
  scrape_timeout: 400ms
scrape_configs:
  - job_name: pinscope
    static_configs:
      - targets: ['127.0.0.1:$exp_port']
YML
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
    --web.listen-address="127.0.0.1:$prom_port" --log.level=warn \
    >"$work/prometheus.log" 2>&1 &
prom_pid=$!
pids+=("$prom_pid")
if ! wait_for 60 curl -sf -o /dev/null "http://127.0.0.1:$prom_port/-/ready"; then
    bad prometheus/start "not ready within 60 s: $(tail -n 3 "$work/prometheus.log")"
else
    ok prometheus/start
    expect prom/up "up{job=\"pinscope\"}" 1
fi

# promtool on a real scrape: no errors, no warnings (it prints nothing).
curl -sf "http://127.0.0.1:$exp_port/metrics" >"$work/scrape.txt"
lint=$(promtool check metrics <"$work/scrape.txt" 2>&1)
lint_rc=$?
if [ "$lint_rc" -eq 0 ] && [ -z "$lint" ]; then ok prom/promtool
else bad prom/promtool "exit $lint_rc: $lint"; fi

# The Grafana dashboard's queries, as Grafana would send them: each one is
# valid PromQL over these metrics.
dash=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/dist/grafana-pinscope.json
nq=0 badq=""
while IFS= read -r q; do
    q=${q//\$__rate_interval/1m}
    q=${q//\$instance/.*}
    nq=$((nq + 1))
    st=$(curl -sf --get "http://127.0.0.1:$prom_port/api/v1/query" --data-urlencode "query=$q" |
         jq -r .status)
    [ "$st" = success ] || badq+=" [$q]"
done < <(jq -r '.. | objects | select(has("expr")) | .expr' "$dash")
if [ "$nq" -gt 0 ] && [ -z "$badq" ]; then ok prom/grafana_queries
else bad prom/grafana_queries "$nq queries; refused:$badq"; fi

# start_held CASE: has the driver run the case with -k; sets held_pid,
# held_in (a fd that releases it) and oracle (its JSON). 1 when it did not run.
start_held() {
    local fifo="$work/hold-$1" end=$((SECONDS + 60))
    rm -f "$fifo" "$work/oracle-$1"
    mkfifo "$fifo"
    echo "$1" >&"$ctl"
    exec {held_in}>"$fifo"
    until [ -n "$(head -n 1 "$work/oracle-$1" 2>/dev/null)" ]; do
        [ "$SECONDS" -lt "$end" ] || break
        sleep 0.05
    done
    oracle=$(head -n 1 "$work/oracle-$1" 2>/dev/null)
    held_pid=$(jq -r '.pid // empty' <<<"$oracle" 2>/dev/null)
    [ -n "$oracle" ] && [ "$(jq -r .status <<<"$oracle")" = ran ]
}

gone_held() { ! kill -0 "$held_pid" 2>/dev/null; }
release_held() {
    echo go >&"$held_in"
    exec {held_in}>&-
    [ -z "$held_pid" ] || wait_for 10 gone_held
}

# Every number the oracle states for its rings, asked of Prometheus.
compare_case() {
    local c=$1 pid fd sel n i op kind err want
    pid=$(jq -r .pid <<<"$oracle")
    n=$(jq '.rings | length' <<<"$oracle")
    for ((i = 0; i < n; i++)); do
        fd=$(jq -r ".rings[$i].fd" <<<"$oracle")
        sel="pid=\"$pid\",fd=\"$fd\""
        # fixed-buffer IOs: each opcode, and no other
        want=$(jq -r ".rings[$i].fixed_io // {} | length" <<<"$oracle")
        expect "prom/$c/fd$fd/fixed_io_opcodes" \
            "count(pinscope_fixed_io_ops_total{$sel}) or vector(0)" "$want"
        for op in $(jq -r ".rings[$i].fixed_io // {} | keys[]" <<<"$oracle"); do
            expect "prom/$c/fd$fd/fixed_io_ops/$op" \
                "pinscope_fixed_io_ops_total{$sel,opcode=\"$op\"}" \
                "$(jq -r ".rings[$i].fixed_io.$op.ops" <<<"$oracle")"
            expect "prom/$c/fd$fd/fixed_io_bytes/$op" \
                "pinscope_fixed_io_bytes_total{$sel,opcode=\"$op\"}" \
                "$(jq -r ".rings[$i].fixed_io.$op.bytes" <<<"$oracle")"
        done
        # per-IO pinning: the negative control pins every IO, the others none
        expect "prom/$c/fd$fd/per_io_pinned_ios" \
            "sum(pinscope_per_io_pinned_ios_total{$sel}) or vector(0)" \
            "$(jq -r ".rings[$i].pinned_io.ios // 0" <<<"$oracle")"
        expect "prom/$c/fd$fd/per_io_pinned_pages" \
            "sum(pinscope_per_io_pinned_pages_total{$sel}) or vector(0)" \
            "$(jq -r ".rings[$i].pinned_io.pages // 0" <<<"$oracle")"
        # registration calls and errors by kind and errno
        for kind in register update unregister clone; do
            want=$(jq -r ".rings[$i].$kind.calls // 0" <<<"$oracle")
            expect "prom/$c/fd$fd/register_calls/$kind" \
                "sum(pinscope_register_calls_total{$sel,kind=\"$kind\"}) or vector(0)" "$want"
            want=$(jq -r ".rings[$i].$kind.errors // {} | length" <<<"$oracle")
            expect "prom/$c/fd$fd/register_errnos/$kind" \
                "count(pinscope_register_errors_total{$sel,kind=\"$kind\"}) or vector(0)" "$want"
            for err in $(jq -r ".rings[$i].$kind.errors // {} | keys[]" <<<"$oracle"); do
                expect "prom/$c/fd$fd/register_errors/$kind/$err" \
                    "pinscope_register_errors_total{$sel,kind=\"$kind\",errno=\"$err\"}" \
                    "$(jq -r ".rings[$i].$kind.errors.$err" <<<"$oracle")"
            done
        done
        # the table as it is now (read at each look, once a second): these
        # cases register once and drop nothing
        for f in buffers bytes pages; do
            expect "prom/$c/fd$fd/registered_$f" \
                "sum(pinscope_registered_$f{$sel}) or vector(0)" \
                "$(jq -r ".rings[$i].register.$f // 0" <<<"$oracle")"
        done
    done
}

for c in read_fixed_direct rw_vec_fixed odirect_no_fixed err_too_many err_register_busy; do
    if ! start_held "$c"; then
        reason=$(jq -r '.reason // empty' <<<"$oracle" 2>/dev/null)
        if [ -n "$reason" ]; then skp "prom/$c" "$reason"
        else bad "prom/$c" "the case did not run: $(tail -n 2 "$work/wl-$c.err")"; fi
        release_held
        continue
    fi
    compare_case "$c"
    release_held
done

# --- 1,000 scrapes while a workload holds its ring: counts exact, RSS flat ---
# An exporter of its own that traces only the workload (-- CMD), so other
# rings on the machine neither change its memory nor its output.
# private memory only: the BPF ring buffer's shared pages count in VmRSS
# as the reader walks through them, whatever the exporter allocates
rss_kib() { awk '/^RssAnon:/ { print $2 }' "/proc/$1/status"; }
port2=$(free_port)
rm -f "$work/hold-scrapes"
mkfifo "$work/hold-scrapes"
"$PS" exporter --listen "127.0.0.1:$port2" -i 0.2 -- "$WL" -k read_fixed_direct \
    <"$work/hold-scrapes" >"$work/oracle-scrapes" 2>"$work/exporter2.err" &
exp2_pid=$!
pids+=("$exp2_pid")
exec {hold2}>"$work/hold-scrapes"
if wait_for 60 test -s "$work/oracle-scrapes"; then
    oracle=$(head -n 1 "$work/oracle-scrapes")
    fd=$(jq -r '.rings[0].fd' <<<"$oracle")
    wl_pid=$(jq -r .pid <<<"$oracle")
    want=$(jq -r '.rings[0].fixed_io.READ_FIXED.ops' <<<"$oracle")
    line="pinscope_fixed_io_ops_total{ring=\"[0-9]*\",pid=\"$wl_pid\",comm=\"[^\"]*\",fd=\"$fd\",opcode=\"READ_FIXED\"}"
    wait_for 10 bash -c "curl -sf http://127.0.0.1:$port2/metrics | grep -q '^$line $want\$'"
    for ((i = 0; i < 100; i++)); do echo "url = \"http://127.0.0.1:$port2/metrics\""; done \
        >"$work/curl-100"
    curl -sf -K "$work/curl-100" >/dev/null   # warm-up: buffers reach their size
    rss0=$(rss_kib "$exp2_pid")
    for ((i = 0; i < 10; i++)); do cat "$work/curl-100"; done >"$work/curl-1000"
    curl -sf -K "$work/curl-1000" >"$work/scrapes.txt"
    rss1=$(rss_kib "$exp2_pid")
    check scrapes/1000_answered "$(grep -c '^pinscope_build_info' "$work/scrapes.txt")" 1000
    check scrapes/counts_exact "$(grep -c "^$line $want\$" "$work/scrapes.txt")" 1000
    # flat: under 256 KiB of growth over 1,000 scrapes (each is ~10 KiB)
    if [ $((rss1 - rss0)) -lt 256 ]; then ok scrapes/rss_flat
    else bad scrapes/rss_flat "RssAnon grew from $rss0 to $rss1 KiB"; fi
else
    bad scrapes "the workload under the exporter did not start: $(tail -n 2 "$work/exporter2.err")"
fi
echo go >&"$hold2"
exec {hold2}>&-
# the command's end ends this exporter: exit 0
wait "$exp2_pid"
check scrapes/exporter_exit_with_command "$?" 0

# --- a port in use: one line, exit 2, nothing loaded -------------------------
"$PS" exporter --listen "127.0.0.1:$exp_port" >"$work/busy.out" 2>"$work/busy.err"
rc=$?
check lifecycle/port_in_use_exit "$rc" 2
check lifecycle/port_in_use_one_line "$(wc -l <"$work/busy.err")" 1
if grep -q 'Address already in use' "$work/busy.err"; then ok lifecycle/port_in_use_says_so
else bad lifecycle/port_in_use_says_so "$(cat "$work/busy.err")"; fi

# --- --textfile: DIR/pinscope.prom, replaced whole ---------------------------
mkdir -p "$work/textfile"
"$PS" exporter --textfile "$work/textfile" -i 0.2 -d 2 >/dev/null 2>"$work/textfile.err"
check textfile/exit "$?" 0
if [ -s "$work/textfile/pinscope.prom" ] &&
   lint=$(promtool check metrics <"$work/textfile/pinscope.prom" 2>&1) && [ -z "$lint" ]; then
    ok textfile/promtool
else bad textfile/promtool "$(ls "$work/textfile"): $lint"; fi
check textfile/no_temporary_left "$(ls -A "$work/textfile")" pinscope.prom
"$PS" exporter --textfile "$work/no-such-dir" -d 1 >/dev/null 2>"$work/textfile-bad.err"
check textfile/missing_dir_exit "$?" 2
# one line, the option and the reason (a long path may lose its middle: 80 columns)
err=$(cat "$work/textfile-bad.err")
case $err in
    "pinscope: --textfile "*": No such file or directory")
        check textfile/missing_dir_one_line "$(wc -l <"$work/textfile-bad.err")" 1 ;;
    *) bad textfile/missing_dir_one_line "got '$err'" ;;
esac

# --- ring churn: the series come back to their baseline after the grace ---
# The ring_churn case (rings in child processes) under an exporter of its
# own (-- CMD: its process tree only), held before and after the churn by
# a shell reading a fifo, so the exporter outlives the churn.
port3=$(free_port)
rm -f "$work/hold-churn"
mkfifo "$work/hold-churn"
PINSCOPE_CHURN_RINGS=$CHURN_RINGS "$PS" exporter --listen "127.0.0.1:$port3" --grace "$GRACE" \
    -i 0.2 -- sh -c "read a; '$WL' ring_churn >'$work/churn.json'; read b" \
    <"$work/hold-churn" 2>"$work/exporter3.err" &
exp3_pid=$!
pids+=("$exp3_pid")
exec {hold3}>"$work/hold-churn"
scrape3() { curl -sf "http://127.0.0.1:$port3/metrics"; }
ring_lines() { scrape3 | grep -c 'ring="'; }
metric3() { scrape3 | awk -v m="$1" '$1 == m { print $2 }'; }
back_to_base() { [ "$(ring_lines)" = "$base" ]; }
if wait_for 30 scrape3 >/dev/null 2>&1; then
    base=$(ring_lines)
    echo go >&"$hold3"
    # 100,000 rings: ~10 s here, minutes on a busy machine
    wait_for 600 test -s "$work/churn.json"
    check churn/rings_created "$(jq -r '.churn.rings // .status' "$work/churn.json")" "$CHURN_RINGS"
    # every ring seen (or, when the machine is too busy for the session's
    # harvests to keep up, counted as dropped: never lost silently), and
    # every one seen gone once the session has looked twice (~10 s here;
    # the exporter shares two cores with three VMs under make test)
    seen_all() {
        local seen dropped
        seen=$(metric3 pinscope_rings_seen_total)
        dropped=$(scrape3 | awk '$1 == "pinscope_dropped_total{table=\"rings\"}" { print $2 }')
        [ $((seen + dropped)) -eq "$CHURN_RINGS" ] && [ "$(metric3 pinscope_rings_gone_total)" = "$seen" ]
    }
    if wait_for 180 seen_all; then ok churn/rings_seen_or_dropped_and_gone
    else bad churn/rings_seen_or_dropped_and_gone "$(scrape3 | grep -E '^pinscope_(rings|dropped)' | tr '\n' ' ')"; fi
    # their series, gone after the grace period (collections of tens of
    # thousands of rings take seconds on a busy machine)
    if wait_for $((GRACE + 60)) back_to_base; then ok churn/series_back_to_baseline
    else bad churn/series_back_to_baseline "$(ring_lines) ring series, $base before the churn"; fi
    check churn/rings_shown "$(metric3 pinscope_rings)" 0
else
    bad churn/start "no /metrics: $(tail -n 2 "$work/exporter3.err")"
fi
echo done >&"$hold3"
exec {hold3}>&-
wait "$exp3_pid"
check churn/exporter_exit "$?" 0

# --- SIGTERM: exit 0 within 1 s, every BPF program and map released ---------
bpf_ids() {
    local f
    for f in /proc/"$1"/fdinfo/*; do
        awk '/^(prog_id|map_id):/ { print $1 $2 }' "$f" 2>/dev/null
    done | sort -u
}
ids=$(bpf_ids "$exp_pid")
start=$(date +%s%N)
kill -TERM "$exp_pid"
wait "$exp_pid"
rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
check lifecycle/sigterm_exit "$rc" 0
if [ "$ms" -le 1000 ]; then ok lifecycle/sigterm_within_1s
else bad lifecycle/sigterm_within_1s "took $ms ms"; fi
# the kernel frees them after an RCU grace period: give it a second
still_there() {
    local id left=""
    for id in $ids; do
        case $id in
            prog_id:*) bpftool prog show id "${id#prog_id:}" >/dev/null 2>&1 && left+=" $id" ;;
            map_id:*) bpftool map show id "${id#map_id:}" >/dev/null 2>&1 && left+=" $id" ;;
        esac
    done
    echo "$left"
}
none_left() { [ -z "$(still_there)" ]; }
if [ -z "$ids" ]; then
    bad lifecycle/nothing_left "no BPF object seen in the exporter's fds"
elif wait_for 2 none_left; then
    ok lifecycle/nothing_left
else
    bad lifecycle/nothing_left "still loaded:$(still_there)"
fi

# --- pinscope top under tmux -------------------------------------------------
# top traces its command: a held read_fixed_direct (stdin from a fifo, so
# the keys typed into top stay top's)
sock="pinscope-top-$$"
rm -f "$work/hold-top"
mkfifo "$work/hold-top"
tmux -L "$sock" new-session -d -x 80 -y 30 \
    "$PS top -i 0.5 -- sh -c \"'$WL' -k read_fixed_direct <'$work/hold-top' >'$work/oracle-top'\"; echo \"top exit \$?\" >$work/top.rc; sleep 30"
exec {hold_top}>"$work/hold-top"
if wait_for 60 test -s "$work/oracle-top"; then
    oracle=$(head -n 1 "$work/oracle-top")
    fd=$(jq -r '.rings[0].fd' <<<"$oracle")
    wl_pid=$(jq -r .pid <<<"$oracle")
    # the ring as seen: pid, fd, 4 buffers of 64 KiB (256 KiB) registered
    row="^ *[0-9]+ +$wl_pid +pinscope-worklo +$fd +4 +256 KiB "
    if wait_for 20 bash -c "tmux -L $sock capture-pane -p | grep -Eq '$row'"; then
        ok top/ring_row
    else
        bad top/ring_row "no line for pid $wl_pid fd $fd: $(tmux -L "$sock" capture-pane -p | head -n 8)"
    fi
    tmux -L "$sock" send-keys i
    if wait_for 5 bash -c "tmux -L $sock capture-pane -p | grep -q 'by fixed-buffer IOPS'"; then
        ok top/sort_key
    else bad top/sort_key "the i key did not switch the order"; fi
    tmux -L "$sock" send-keys q
    if wait_for 5 test -s "$work/top.rc"; then check top/q_exits_0 "$(cat "$work/top.rc")" "top exit 0"
    else bad top/q_exits_0 "still running 5 s after q"; fi
else
    bad top "read_fixed_direct under top did not start: $(tmux -L "$sock" capture-pane -p | head -n 3)"
fi
echo go >&"$hold_top"
exec {hold_top}>&-
tmux -L "$sock" kill-server 2>/dev/null
# not a terminal: plain refreshing text, no escape sequences
timeout --preserve-status -s INT 4 "$PS" top -i 0.5 -- sleep 30 >"$work/top.txt" 2>/dev/null
rc=$?
check top/plain_exit "$rc" 0
if [ "$(grep -c '^pinscope top - ' "$work/top.txt")" -ge 2 ] && ! grep -q $'\033' "$work/top.txt"; then
    ok top/plain_text
else bad top/plain_text "$(head -n 3 "$work/top.txt")"; fi

if [ "$fail" -ne 0 ]; then
    echo "--- exporter stderr (last lines)"
    tail -n 5 "$work/exporter.err"
    echo "--- prometheus log (last lines)"
    tail -n 5 "$work/prometheus.log"
fi
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
