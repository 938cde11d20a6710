#!/usr/bin/env bash
# pinscope benchmarks (issue #5): tracing overhead against a floor and a
# bpftrace peer, BPF cost per event, registration vs clone, what fixed
# buffers buy, the tool's own start-up time and memory, and (issue #11) what
# tracing costs each registration call.
#
# Usage: tools/bench.sh full|smoke OUTPUT_DIR   (root; `make bench`, `make bench-smoke`)
#   full   the real run, a few minutes; results in OUTPUT_DIR/bench/results-DATE/
#   smoke  every stage once with tiny sizes, < 1 min, in OUTPUT_DIR/bench/smoke/
# Environment:
#   PINSCOPE_TMPDIR        where data files go (default /var/tmp; needs O_DIRECT)
#   PINSCOPE_BENCH_MAX_GIB largest registration (default: half of MemAvailable,
#                          rounded down to a power of two)
#   PINSCOPE_BENCH_ONLY    run only these stages (space-separated: overhead pairs
#                          per_enter bpf_stats register direct regcost startup
#                          churn); the report judges what ran, and the
#                          stages left out show as missing measurements
# Every measurement is a JSON line in raw.jsonl; tools/bench/report.c turns
# them into bench.md and bench.json. Exit 0 when every stage ran (a missed
# target is a result, not a failure), 1 when the harness broke, 2 usage.
set -uo pipefail

mode=${1:-}
if [ $# -ne 2 ] || { [ "$mode" != full ] && [ "$mode" != smoke ]; } || [ ! -d "$2" ]; then
    echo "usage: tools/bench.sh full|smoke OUTPUT_DIR" >&2
    exit 2
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "bench: needs root (BPF, hugetlb reservations)" >&2
    exit 2
fi
out=$(cd "$2" && pwd)
repo=$(cd "$(dirname "$0")/.." && pwd)
bin=$out/bench
ps=$out/pinscope
for b in "$ps" "$bin/iops" "$bin/floor" "$bin/reg" "$bin/regcall" "$bin/startup" "$bin/report"; do
    [ -x "$b" ] || { echo "bench: $b is not built (make bench-build)" >&2; exit 2; }
done

# The load runs on CPU 1, tracers' user space and this script on CPU 0: BPF
# programs run on the CPU that does the IO, so their cost lands on the load.
# The load runs SCHED_FIFO where allowed, so other tenants of this shared
# machine cannot preempt it (they get CPU 0 and RT throttling's 5 %).
LOAD_CPU=1 TRACER_CPU=0
taskset -cp $TRACER_CPU $$ > /dev/null || { echo "bench: cannot pin to CPU $TRACER_CPU" >&2; exit 2; }
if [ "$mode" = full ]; then
    rounds=16 seg_secs=1 pair_rounds=30 enter_rounds=16 secs=1.5 stats_rounds=3 reg_reps=3 direct_rounds=5 startup_runs=10
    file_mib=256 clone_counts=1,16,64,256,900,1024,4096,16384
    rc_rounds=8 rc_seg_secs=1.5 rc_counts=16,900,4096 rc_huge=4 rc_conds="regfloor regonly stat trace check hist"
else
    rounds=1 seg_secs=0.2 pair_rounds=1 enter_rounds=1 secs=0.3 stats_rounds=1 reg_reps=1 direct_rounds=1 startup_runs=1
    file_mib=16 clone_counts=1,16
    rc_rounds=1 rc_seg_secs=0.2 rc_counts=16 rc_huge=0 rc_conds="regfloor stat"
fi

stamp=$(date +%Y%m%d-%H%M%S)
results=$out/bench/$([ "$mode" = full ] && echo "results-$stamp" || echo smoke)
rm -rf "$results"
mkdir -p "$results/logs" || exit 2
raw=$results/raw.jsonl
logs=$results/logs
: > "$raw"
tmp=$(mktemp -d "${PINSCOPE_TMPDIR:-/var/tmp}/pinscope-bench.XXXXXX") || exit 2
errors=0 tracer_pid="" load_pid="" scraper_pid="" tracer_log=""
declare -A hp_saved=() hp_set=() hp_added=()

# ---- leave nothing behind ----------------------------------------------------

hp_dir() { echo "/sys/kernel/mm/hugepages/hugepages-${1}kB"; }

# Give back exactly the pages we added. Other users of this machine may have
# changed the pool meanwhile: then subtract ours instead of clobbering theirs.
hp_restore() {
    local kb cur want
    for kb in "${!hp_saved[@]}"; do
        cur=$(cat "$(hp_dir "$kb")/nr_hugepages")
        if [ "$cur" = "${hp_set[$kb]}" ]; then
            want=${hp_saved[$kb]}
        else
            want=$((cur - hp_added[$kb]))
            [ "$want" -lt 0 ] && want=0
            echo "bench: the ${kb} kB pool changed under us ($cur, set ${hp_set[$kb]}); giving back ${hp_added[$kb]}" >&2
        fi
        echo "$want" > "$(hp_dir "$kb")/nr_hugepages" 2>/dev/null
        unset "hp_saved[$kb]"
    done
}

cleanup() {
    stop_tracer >/dev/null 2>&1
    [ -n "$load_pid" ] && kill "$load_pid" 2>/dev/null && wait "$load_pid"
    hp_restore
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fail() {
    errors=$((errors + 1))
    echo "bench: FAILED: $*" >&2
    printf '{"section":"error","what":"%s"}\n' "$(json_escape "$*")" >> "$raw"
}

json_escape() { local s=${1//\\/\\\\}; s=${s//\"/\\\"}; printf '%s' "${s//$'\n'/ }"; }

# ---- tracers ---------------------------------------------------------------

# The bpftrace peer counts what `pinscope stat` hooks: ring creation,
# registrations and, per IO, completions by opcode (from the request).
write_peer() {
    cat > "$tmp/peer.bt" <<'EOF'
tracepoint:io_uring:io_uring_create { @create = count(); }
tracepoint:io_uring:io_uring_register { @register[args->opcode] = count(); }
tracepoint:io_uring:io_uring_complete { @complete[((struct io_kiocb *)args->req)->opcode] = count(); }
EOF
}

# tracer_cmd COND LOG: sets cmd (empty: no tracer) and cue (the stderr line
# that says "attached"). pinscope conditions get tracer_extra (e.g. -p PID).
tracer_extra=()
tracer_cmd() {
    cue=Tracing
    case $1 in
        none)        cmd=() ;;
        floor)       cmd=("$bin/floor") ;;
        floor+stats) cmd=("$bin/floor" -s) ;;
        regfloor)    cmd=("$bin/floor" -r) ;;
        regonly)     cmd=("$ps" stat --registration-only -j -o "$2.json" "${tracer_extra[@]}") ;;
        stat)        cmd=("$ps" stat -j -o "$2.json" "${tracer_extra[@]}") ;;
        trace)       cmd=("$ps" trace -j -o "$2.json" "${tracer_extra[@]}") ;;
        hist)        cmd=("$ps" hist -j -o "$2.json" "${tracer_extra[@]}") ;;
        check)       cmd=("$ps" check -j -o "$2.json" "${tracer_extra[@]}") ;;
        stat+stats)  cmd=("$ps" stat --bpf-stats -j -o "$2.json") ;;
        hist+stats)  cmd=("$ps" hist --bpf-stats -j -o "$2.json") ;;
        exporter)    cmd=("$ps" exporter --listen 127.0.0.1:0)
                     cue=Serving ;;
        bpftrace)    cmd=(env __BPFTRACE_NOTIFY_PROBES_ATTACHED=1 bpftrace "$tmp/peer.bt")
                     cue=__BPFTRACE_NOTIFY_PROBES_ATTACHED ;;
        *) echo "bench: unknown condition $1" >&2; return 1 ;;
    esac
}

# The exporter is scraped every second, as Prometheus would, from the
# tracer's CPU; the last scrape lands in LOG.scrape.
scrape_url() { sed -n 's|^Serving \(http://.*/metrics\)$|\1|p' "$tracer_log.err"; }
start_scraper() {
    local url
    url=$(scrape_url)
    taskset -c $TRACER_CPU bash -c "while :; do
        curl -sf -o '$1.scrape.tmp' '$url' && mv '$1.scrape.tmp' '$1.scrape'
        sleep 1
    done" &
    scraper_pid=$!
}

start_tracer() {
    local i
    tracer_cmd "$1" "$2" || return 1
    [ ${#cmd[@]} -eq 0 ] && return 0
    taskset -c $TRACER_CPU "${cmd[@]}" > "$2.out" 2> "$2.err" &
    tracer_pid=$!
    tracer_log=$2
    for ((i = 0; i < 1500; i++)); do    # 30 s: bpftrace compiles first
        if grep -q "^$cue" "$2.err" 2>/dev/null; then
            [ "$1" = exporter ] && start_scraper "$2"
            return 0
        fi
        if ! kill -0 "$tracer_pid" 2>/dev/null; then
            wait "$tracer_pid"; tracer_pid=""
            fail "$1 exited before attaching: $(tail -n 1 "$2.err")"
            return 1
        fi
        sleep 0.02
    done
    stop_tracer
    fail "$1 did not attach within 30 s"
    return 1
}

# SIGINT is how users stop a tracer. bpftrace 0.17 now and then ignores the
# first one (a second one works), so repeat it each second; TERM and KILL
# after a grace period, so nothing outlives the run.
stop_tracer() {
    local i rc
    [ -z "$tracer_pid" ] && return 0
    if [ -n "$scraper_pid" ]; then
        kill "$scraper_pid" 2>/dev/null
        wait "$scraper_pid" 2>/dev/null
        scraper_pid=""
        # one more scrape after a collection (-i 1) that saw the whole segment
        sleep 1.2
        curl -sf -o "$tracer_log.scrape" "$(scrape_url)"
    fi
    for ((i = 0; i < 200; i++)); do
        kill -0 "$tracer_pid" 2>/dev/null || break
        if [ $((i % 10)) -eq 0 ] && [ $i -lt 100 ]; then kill -INT "$tracer_pid" 2>/dev/null; fi
        [ $i -eq 100 ] && kill -TERM "$tracer_pid" 2>/dev/null
        [ $i -eq 150 ] && kill -KILL "$tracer_pid" 2>/dev/null
        sleep 0.1
    done
    wait "$tracer_pid"; rc=$?
    tracer_pid=""
    return $rc
}

# What the tracer saw, as JSON: its report, the floor's counter, or the
# peer's READ_FIXED (opcode 4) completions; null when nothing is checked or
# the tracer left nothing (the report then flags the run).
tracer_result() {
    local file=$2.json
    case $1 in
        none|trace|hist) echo null; return ;;
        bpftrace) awk -F': ' '/^@complete\[4\]/ { n = $2 } END { printf "{\"complete_ops\":%d}", n }' "$2.out"
                  return ;;
        exporter) [ -s "$2.scrape" ] || { echo null; return; }
                  awk -v pid="pid=\"${load_pid:-}\"" '
                      /^pinscope_fixed_io_ops_total\{/ && index($0, pid) && /opcode="READ_FIXED"/ { n += $2 }
                      END { printf "{\"fixed_ops\":%d}", n }' "$2.scrape"
                  return ;;
        floor|floor+stats) file=$2.out ;;
    esac
    if [ -s "$file" ]; then tr '\n' ' ' < "$file"; else echo null; fi
}

# ---- 1. overhead of tracing a busy ring; 2. BPF cost per event --------------

# 1: one load process runs throughout (tools/bench/oneload.c says why);
# each tracer's segment sits between two untraced ones, and the tracers'
# order rotates every round. Segments are labelled COND.ROUND.
segment() {
    echo "begin $1" >&3
    sleep "$seg_secs"
    echo end >&3
    sleep 0.06      # the load reads commands every 20 ms: let it see "end" first
}

# one_load SECTION ROUNDS ONELOAD_ARGS -- CONDS...: one line per tracer run,
# then the load's windows as {"section":"SECTION_load",...}.
one_load() {
    local section=$1 nr=$2 args=() conds r i n cond log res trc
    shift 2
    while [ "$1" != -- ]; do args+=("$1"); shift; done
    shift
    conds=("$@") n=$#
    rm -f "$tmp/ctl" && mkfifo "$tmp/ctl" || { fail "mkfifo $tmp/ctl"; return 1; }
    "$bin/oneload" -c $LOAD_CPU $rt_flag -C "$tmp/ctl" -s 1800 "${args[@]}" \
        > "$logs/$section.load.json" 2> "$logs/$section.load.err" &
    load_pid=$!
    exec 3<> "$tmp/ctl"
    segment warm        # caches and page tables settle; the report drops it
    for ((r = 1; r <= nr; r++)); do
        for ((i = 0; i < n; i++)); do
            cond=${conds[$(((i + r - 1) % n))]}
            log=$logs/$section-$cond-$r
            segment "none.$r"
            start_tracer "$cond" "$log" || continue
            [ "$cond" = bpftrace ] && sleep 0.2     # see section_startup
            segment "$cond.$r"
            stop_tracer; trc=$?
            [ $trc -ne 0 ] && fail "$cond exited $trc (see $log.err)"
            printf '{"section":"%s","cond":"%s","round":%d,"tracer_exit":%d,"tracer":%s}\n' \
                "$section" "$cond" "$r" $trc "$(tracer_result "$cond" "$log")" >> "$raw"
        done
        echo "bench: $section round $r/$nr done" >&2
    done
    segment "none.$nr"
    echo quit >&3
    exec 3>&-
    wait "$load_pid"; res=$?
    load_pid=""
    if [ $res -ne 0 ] || [ ! -s "$logs/$section.load.json" ]; then
        fail "$section load: exit $res: $(tail -n 1 "$logs/$section.load.err")"
        return 1
    fi
    printf '{"section":"%s_load","load":%s}\n' "$section" "$(cat "$logs/$section.load.json")" >> "$raw"
}

# 2: separate runs of the iops load, each under one tracer.
# run_under COND LOG IOPS_ARGS...: one load run under one tracer; sets run_json.
run_under() {
    local cond=$1 log=$2 load lrc trc
    shift 2
    run_json=""
    start_tracer "$cond" "$log" || return 1
    load=$("$bin/iops" -c $LOAD_CPU $rt_flag "$@" 2> "$log.load.err"); lrc=$?
    stop_tracer; trc=$?
    if [ $lrc -ne 0 ] || [ -z "$load" ]; then
        fail "load under $cond: exit $lrc: $(tail -n 1 "$log.load.err")"
        return 1
    fi
    [ $trc -ne 0 ] && fail "$cond exited $trc (see $log.err)"
    run_json="\"tracer_exit\":$trc,\"load\":$load,\"tracer\":$(tracer_result "$cond" "$log")"
}

# Conditions interleaved and their order rotated every round, so drift
# (other tenants, thermal, page cache) spreads over all of them.
interleave() {
    local section=$1 nr=$2; shift 2
    local conds=("$@") r i n=${#conds[@]} cond
    for ((r = 1; r <= nr; r++)); do
        for ((i = 0; i < n; i++)); do
            cond=${conds[$(((i + r - 1) % n))]}
            run_under "$cond" "$logs/$section-$cond-$r" -f "$tmp/data" -s "$secs" || continue
            printf '{"section":"%s","cond":"%s","round":%d,%s}\n' \
                "$section" "$cond" "$r" "$run_json" >> "$raw"
        done
        echo "bench: $section round $r/$nr done" >&2
    done
}

# ---- 3. registration vs clone -----------------------------------------------

max_gib() {
    local avail g=1
    if [ -n "${PINSCOPE_BENCH_MAX_GIB:-}" ]; then echo "$PINSCOPE_BENCH_MAX_GIB"; return; fi
    avail=$(awk '/^MemAvailable:/ { print int($2 / 1048576) }' /proc/meminfo)
    while [ $((g * 2)) -le $((avail / 2)) ]; do g=$((g * 2)); done
    echo $g
}

# Sizes in MiB, doubling from FIRST up to MAX_MIB.
sizes_upto() {
    local s=$1 max=$2 list=""
    while [ "$s" -le "$max" ]; do list+="${list:+,}$s"; s=$((s * 2)); done
    echo "$list"
}

# hp_reserve KB PAGES: add PAGES to the pool for this run; sets hp_free to
# the pool's free pages (not a $(...) call: the bookkeeping must survive).
hp_reserve() {
    local kb=$1 dir
    dir=$(hp_dir "$kb")
    hp_free=0
    [ -w "$dir/nr_hugepages" ] || return 0
    if [ -z "${hp_saved[$kb]:-}" ]; then
        hp_saved[$kb]=$(cat "$dir/nr_hugepages")
        hp_added[$kb]=0
    fi
    echo $((hp_saved[$kb] + $2)) > "$dir/nr_hugepages" 2>/dev/null
    hp_set[$kb]=$(cat "$dir/nr_hugepages")
    hp_added[$kb]=$((hp_set[$kb] - hp_saved[$kb]))
    hp_free=$(cat "$dir/free_hugepages")
}

# reg_run NAME REG_ARGS...: the same sweep bare (user-side wall time) and
# under `pinscope stat` (kernel-side latency of the same calls). pinscope
# sums the buffer table inside the syscall, after its timestamp: that shows
# in the traced wall time of clones, which is why the bare run exists.
reg_run() {
    local name=$1 log=$logs/register-$1 points rc
    shift
    points=$(taskset -c $TRACER_CPU "$bin/reg" -c $LOAD_CPU -r $reg_reps "$@" 2> "$log.bare.err"); rc=$?
    if [ $rc -ne 0 ] || [ -z "$points" ]; then
        fail "reg $name: exit $rc: $(tail -n 1 "$log.bare.err")"
        return 1
    fi
    printf '{"section":"register","name":"%s","traced":false,"points":[%s]}\n' \
        "$name" "$(paste -sd, <<< "$points")" >> "$raw"
    points=$(taskset -c $TRACER_CPU "$ps" stat -j -o "$log.json" -- \
        "$bin/reg" -c $LOAD_CPU -r $reg_reps "$@" 2> "$log.traced.err"); rc=$?
    if [ $rc -ne 0 ] || [ -z "$points" ]; then
        fail "reg $name under pinscope: exit $rc: $(tail -n 1 "$log.traced.err")"
        return 1
    fi
    printf '{"section":"register","name":"%s","traced":true,"points":[%s],"pinscope":%s}\n' \
        "$name" "$(paste -sd, <<< "$points")" "$(tr '\n' ' ' < "$log.json")" >> "$raw"
    echo "bench: register $name done" >&2
}

# Largest power-of-two size in MiB, up to WANT, that leaves 4 GiB available:
# other tenants of the machine keep their memory (0 when not even 64 MiB fits).
fit_mib() {
    local avail s=64 want=$1
    avail=$(awk '/^MemAvailable:/ { print int($2 / 1024) - 4096 }' /proc/meminfo)
    [ "$avail" -lt 64 ] && { echo 0; return; }
    while [ $((s * 2)) -le "$want" ] && [ $((s * 2)) -le "$avail" ]; do s=$((s * 2)); done
    echo $s
}

reg_skip() {
    printf '{"section":"register","name":"%s","skipped":"%s"}\n' "$1" "$(json_escape "$2")" >> "$raw"
    echo "bench: register $1 skipped: $2" >&2
}

section_register() {
    local gib mib top free list
    gib=$(max_gib)
    [ "$mode" = smoke ] && gib=0
    mib=$((gib > 0 ? gib * 1024 : 64))
    top=$(fit_mib $mib)
    if [ "$top" -ge 64 ]; then
        reg_run 4k -k 4k -s "$(sizes_upto 64 "$top")"
    else
        reg_skip 4k "not even 64 MiB available beyond a 4 GiB margin"
    fi

    # hugetlb pages come out of MemAvailable once reserved: check first
    top=$(fit_mib $mib)
    hp_reserve 2048 $((top / 2 + 1)); free=$hp_free
    printf '{"section":"hugepages","kind":"2m","wanted_mib":%d,"free_mib":%d}\n' "$top" "$((free * 2))" >> "$raw"
    if [ $((free * 2)) -ge 64 ]; then
        while [ "$top" -gt $((free * 2)) ]; do top=$((top / 2)); done
        reg_run 2m -k 2m -s "$(sizes_upto 64 "$top")"
    else
        reg_skip 2m "only $((free * 2)) MiB of 2 MiB pages could be reserved"
    fi
    hp_restore

    if [ "$mode" = smoke ]; then
        reg_skip 1g "smoke run: 1 GiB pages are not reserved"
    else
        # 1 GiB pages need 1 GiB of contiguous free memory each: take what we get
        top=$(($(fit_mib $mib) / 1024))
        hp_reserve 1048576 "$top"; free=$hp_free
        printf '{"section":"hugepages","kind":"1g","wanted_mib":%d,"free_mib":%d}\n' "$((top * 1024))" "$((free * 1024))" >> "$raw"
        if [ "$free" -ge 1 ]; then
            top=1
            while [ $((top * 2)) -le "$free" ]; do top=$((top * 2)); done
            list=$(sizes_upto 1024 $((top * 1024)))
            [ "$top" -ne "$free" ] && list+=",$((free * 1024))"
            reg_run 1g -k 1g -s "$list"
        else
            reg_skip 1g "no 1 GiB page could be reserved (memory too fragmented)"
        fi
        hp_restore
    fi
    reg_run clone_sweep -n "$clone_counts"
}

# ---- 4. what fixed buffers buy (O_DIRECT) -----------------------------------

section_direct() {
    local r fixed flag load rc log
    if ! "$bin/iops" -f "$tmp/data" -D -s 0.01 -w 0 > /dev/null 2> "$logs/direct-probe.err"; then
        printf '{"section":"direct","skipped":"O_DIRECT reads fail in %s: %s"}\n' "$tmp" \
            "$(json_escape "$(tail -n 1 "$logs/direct-probe.err")")" >> "$raw"
        return 0
    fi
    for ((r = 1; r <= direct_rounds; r++)); do
        for fixed in true false; do
            flag=""; [ $fixed = false ] && flag=-n
            log=$logs/direct-$fixed-$r
            load=$("$bin/iops" -c $LOAD_CPU $rt_flag -D $flag -f "$tmp/data" -s "$secs" 2> "$log.err") \
                || { fail "O_DIRECT load fixed=$fixed: $(tail -n 1 "$log.err")"; continue; }
            printf '{"section":"direct","fixed":%s,"round":%d,"load":%s}\n' "$fixed" "$r" "$load" >> "$raw"
        done
    done
    # once more each under pinscope, for its fixed and pinned IO counts
    for fixed in true false; do
        flag=""; [ $fixed = false ] && flag=-n
        log=$logs/direct-traced-$fixed
        load=$(taskset -c $TRACER_CPU "$ps" stat -j -o "$log.json" -- \
            "$bin/iops" -c $LOAD_CPU $rt_flag -D $flag -f "$tmp/data" -s "$secs" 2> "$log.err"); rc=$?
        if [ $rc -ne 0 ] || [ -z "$load" ]; then
            fail "O_DIRECT load under pinscope, fixed=$fixed: $(tail -n 1 "$log.err")"
            continue
        fi
        printf '{"section":"direct_traced","fixed":%s,"load":%s,"pinscope":%s}\n' \
            "$fixed" "$load" "$(tr '\n' ' ' < "$log.json")" >> "$raw"
    done
    echo "bench: O_DIRECT done" >&2
}

# ---- 7. what tracing costs the registration calls themselves ----------------

# One regcall process (tools/bench/regcall.c) for the whole section: each
# tracer, attached to it with -p, gets a segment between two untraced ones,
# in rotated order every round. A segment ends when the load says it has
# finished its last call (the ack file), so no call runs while a tracer
# attaches or detaches and the tracer's counts can be checked exactly.
rc_segment() {
    local i
    echo "begin $1" >&3
    sleep "$rc_seg_secs"
    echo end >&3
    for ((i = 0; i < 3000; i++)); do    # 60 s: a 4,096-buffer iteration under a slow tracer
        grep -qx "ended $1" "$tmp/rc.ack" 2>/dev/null && return 0
        kill -0 "$load_pid" 2>/dev/null || break
        sleep 0.02
    done
    fail "regcall did not end segment $1"
    return 1
}

section_regcost() {
    local conds=($rc_conds) n r i cond log res trc huge_args=() free
    n=${#conds[@]}
    if [ "$rc_huge" -gt 0 ]; then
        hp_reserve 2048 "$rc_huge"; free=$hp_free
        if [ "$free" -ge "$rc_huge" ]; then
            huge_args=(-H "$rc_huge")
        else
            printf '{"section":"regcost_skip","what":"2m","why":"only %d of %d 2 MiB pages could be reserved"}\n' \
                "$free" "$rc_huge" >> "$raw"
        fi
    fi
    rm -f "$tmp/ctl" "$tmp/rc.ack" && mkfifo "$tmp/ctl" || { fail "mkfifo $tmp/ctl"; return 1; }
    "$bin/regcall" -c $LOAD_CPU $rt_flag -f "$tmp/data" -n "$rc_counts" "${huge_args[@]}" \
        -C "$tmp/ctl" -A "$tmp/rc.ack" -s 1800 > "$logs/regcost.load.json" 2> "$logs/regcost.load.err" &
    load_pid=$!
    exec 3<> "$tmp/ctl"
    tracer_extra=(-p "$load_pid")
    rc_segment warm
    for ((r = 1; r <= rc_rounds; r++)); do
        for ((i = 0; i < n; i++)); do
            cond=${conds[$(((i + r - 1) % n))]}
            log=$logs/regcost-$cond-$r
            rc_segment "none.$r" || break 2
            start_tracer "$cond" "$log" || continue
            rc_segment "$cond.$r" || { stop_tracer; break 2; }
            stop_tracer; trc=$?
            # check's verdict: the load registers one memory in two rings (exit 1)
            [ "$cond" = check ] && [ $trc -eq 1 ] && trc=0
            [ $trc -ne 0 ] && fail "$cond exited $trc (see $log.err)"
            printf '{"section":"regcost","cond":"%s","round":%d,"tracer_exit":%d,"tracer_json":"%s"}\n' \
                "$cond" "$r" $trc "$log.json" >> "$raw"
        done
        echo "bench: regcost round $r/$rc_rounds done" >&2
    done
    tracer_extra=()
    rc_segment "none.$rc_rounds"
    echo quit >&3
    exec 3>&-
    wait "$load_pid"; res=$?
    load_pid=""
    hp_restore
    if [ $res -ne 0 ] || [ ! -s "$logs/regcost.load.json" ]; then
        fail "regcost load: exit $res: $(tail -n 1 "$logs/regcost.load.err")"
        return 1
    fi
    printf '{"section":"regcost_load","load":%s}\n' "$(cat "$logs/regcost.load.json")" >> "$raw"
    echo "bench: registration cost done" >&2
}

# ---- 5. the tool itself ------------------------------------------------------

section_startup() {
    local tool res
    for tool in stat trace; do
        res=$("$bin/startup" -n $startup_runs -c $TRACER_CPU -- "$ps" $tool) \
            || fail "startup of pinscope $tool: $res"
        [ -n "$res" ] && printf '{"section":"startup","tool":"%s","result":%s}\n' "$tool" "$res" >> "$raw"
    done
    # for scale (no target): a minimal libbpf loader, and the peer
    res=$("$bin/startup" -n $startup_runs -c $TRACER_CPU -- "$bin/floor") \
        || fail "startup of the floor: $res"
    [ -n "$res" ] && printf '{"section":"startup","tool":"floor","result":%s}\n' "$res" >> "$raw"
    res=$("$bin/startup" -n $(((startup_runs + 2) / 3)) -c $TRACER_CPU -m __BPFTRACE_NOTIFY \
        -t 30 -w 300 -- env __BPFTRACE_NOTIFY_PROBES_ATTACHED=1 bpftrace "$tmp/peer.bt") \
        || fail "startup of bpftrace: $res"
    [ -n "$res" ] && printf '{"section":"startup","tool":"bpftrace","result":%s}\n' "$res" >> "$raw"
    echo "bench: start-up done" >&2
}

# A long session's memory: rings by the hundred thousand under stat.
section_churn() {
    local rings res report=$tmp/churn.json
    rings=$([ "$mode" = full ] && echo 100000 || echo 2000)
    res=$("$repo/tools/churn-memory.sh" "$out" "$report" $rings 4) || { fail "churn: $res"; return; }
    printf '{"section":"churn","result":%s,"rings_dropped":%s,"register_calls":%s}\n' "$res" \
        "$(grep -o '"rings_dropped": *[0-9]*' "$report" | grep -o '[0-9]*$' || echo null)" \
        "$(tr -d ' \n' < "$report" | grep -o '"totals":{"rings":[0-9]*,"rings_gone":[0-9]*,"processes_exited":[0-9]*,"register":{"calls":[0-9]*' | grep -o '[0-9]*$' || echo null)" \
        >> "$raw"
    echo "bench: churn done" >&2
}

# ---- run ---------------------------------------------------------------------

# Percent of all CPUs busy over half a second while this run is idle: other
# tenants' load, which the results cannot subtract and the report shows.
cpu_busy_pct() {
    local a b
    a=$(awk '/^cpu / { print $2+$3+$4+$7+$8+$9, $5+$6 }' /proc/stat)
    sleep 0.5
    b=$(awk '/^cpu / { print $2+$3+$4+$7+$8+$9, $5+$6 }' /proc/stat)
    awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " ");
        busy = y[1] - x[1]; idle = y[2] - x[2];
        printf "%.0f", (busy + idle > 0) ? 100 * busy / (busy + idle) : 0 }'
}

machine() {
    printf '{"section":"machine","mode":"%s","date":"%s","kernel":"%s","cpu":"%s","cpus":%d,' \
        "$mode" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(uname -r)" \
        "$(json_escape "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)")" "$(nproc --all)"
    printf '"mem_gib":%d,"virt":"%s","bpftrace":"%s","liburing":"%s","pinscope_commit":"%s",' \
        "$(awk '/^MemTotal:/ { print int($2 / 1048576 + 0.5) }' /proc/meminfo)" \
        "$(lscpu 2>/dev/null | awk -F': *' '/^Hypervisor vendor/ { v = $2 } END { print v ? v : "none" }')" \
        "$(json_escape "$(bpftrace --version 2>/dev/null || echo missing)")" \
        "$(dpkg-query -W -f='${Version}' liburing-dev 2>/dev/null)" \
        "$(git -C "$repo" describe --always --dirty 2>/dev/null || echo unknown)"
    printf '"load_cpu":%d,"tracer_cpu":%d,"rounds":%d,"segment_s":%s,"seconds":%s,"loadavg_start":"%s",' \
        $LOAD_CPU $TRACER_CPU $rounds "$seg_secs" "$secs" "$(cut -d' ' -f1-3 /proc/loadavg)"
    printf '"busy_pct_start":%d}\n' "$(cpu_busy_pct)"
}

start_s=$(date +%s)
if ! awk '$2 == "/sys/kernel/tracing" && $3 == "tracefs" { f = 1 } END { exit !f }' /proc/mounts; then
    mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null   # bpftrace and pinscope need it
fi
machine >> "$raw"
echo "bench: $mode run, results in $results" >&2
write_peer
# The page-cached file: written once, read once so every IO hits the cache.
dd if=/dev/zero of="$tmp/data" bs=1M count=$file_mib conv=fsync status=none || { fail "writing $tmp/data"; exit 1; }
cat "$tmp/data" > /dev/null
rt_flag=-R
if ! "$bin/iops" -R -f "$tmp/data" -s 0.01 -w 0 > /dev/null 2>&1; then
    rt_flag=""
    echo "bench: SCHED_FIFO refused; the load runs at normal priority" >&2
fi

# Other tenants' load before each stage: the report shows which stages ran
# on a busy machine.
stage_load() {
    printf '{"section":"load","stage":"%s","busy_pct":%d}\n' "$1" "$(cpu_busy_pct)" >> "$raw"
}

# PINSCOPE_BENCH_ONLY: a stage not named is skipped (its targets: no data).
want() {
    [ -z "${PINSCOPE_BENCH_ONLY:-}" ] && return 0
    case " $PINSCOPE_BENCH_ONLY " in *" $1 "*) return 0 ;; esac
    return 1
}

# One discarded run: the first measured round should not pay for cold caches.
"$bin/iops" -c $LOAD_CPU $rt_flag -f "$tmp/data" -s "$secs" > /dev/null 2>&1
if want overhead; then
    stage_load overhead
    one_load overhead $rounds -f "$tmp/data" -- floor regonly stat trace hist bpftrace exporter
fi
# Target 1a asks for a ratio of two costs ~20 ns apart: the floor and stat
# get more rounds of their own.
if want pairs; then
    stage_load pairs
    one_load pairs $pair_rounds -f "$tmp/data" -- floor stat exporter
fi
# --registration-only has no per-IO program; what it costs is per system
# call (see the report): measured with one IO per io_uring_enter.
if want per_enter; then
    stage_load per_enter
    one_load per_enter $enter_rounds -f "$tmp/data" -q 1 -- regonly
fi
if want bpf_stats; then
    stage_load bpf_stats
    interleave bpf_stats $stats_rounds floor floor+stats stat+stats hist+stats
fi
for stage in register direct regcost startup churn; do
    want $stage || continue
    stage_load $stage
    section_$stage
done

printf '{"section":"done","wall_s":%d,"loadavg_end":"%s","busy_pct_end":%d,"harness_errors":%d}\n' \
    $(($(date +%s) - start_s)) "$(cut -d' ' -f1-3 /proc/loadavg)" "$(cpu_busy_pct)" $errors >> "$raw"
# A partial run's report names the stages that did not run as harness
# errors: only a whole run's exit status judges the harness.
if ! "$bin/report" "$raw" "$results" && [ -z "${PINSCOPE_BENCH_ONLY:-}" ]; then
    errors=$((errors + 1))
fi
echo "bench: $(($(date +%s) - start_s)) s; results in $results (bench.md, bench.json, raw.jsonl)" >&2
[ $errors -eq 0 ]
