#!/usr/bin/env bash
# The suite behind `make test` and `make vmtest`: unit tests and the
# comparer's self-test, then the exact-count suite once per available
# backend on this kernel and on each VM kernel (tools/vmtest.sh boots one VM
# per kernel and backend, in the background while the host stages run, and
# runs tools/backend-suite.sh inside). Ends with a kernel x backend matrix
# and, last, "N passed, N failed, N skipped" over everything. Exit 1 on any
# failure.
#
# The host stages end with the exporter's stage (tools/exporter-test.sh: a
# real Prometheus, top under tmux), the sanitizers stage (tools/sanitize.sh:
# the unit tests and the host suite again, built with ASan and UBSan), a
# short run of every fuzz target (tools/fuzz.sh) and the benchmark's smoke
# run (tools/bench.sh smoke).
#
# Usage: tools/test.sh [--no-host] [--kernels "6.1 6.12 7.2"|all|none] OUTPUT_DIR
#   --no-host              leave out the unit, self-test and host-kernel stages
#   --kernels LIST         VM kernels to boot (default $PINSCOPE_VM_KERNELS,
#                          else all: 6.1 6.12 7.2; none = host only)
# Environment:
#   PINSCOPE_TEST_ARGS     extra pinscope-test arguments (e.g. "--filter e2e/")
#   PINSCOPE_BACKENDS      backends to try per kernel (fentry kprobe tracepoint)
#   PINSCOPE_VM_OPTIONAL=1 a VM kernel that cannot be fetched is a skip, not a
#                          failure
#   PINSCOPE_VM_JOBS       VMs running at once (default: host CPUs + 1; a
#                          VM keeps one host core ~90% busy)
#   PINSCOPE_VM_TIMEOUT    seconds per VM boot (default 3000: a 7.2 guest took
#                          25-30 minutes beside two others and the host stages)
#   PINSCOPE_FUZZ_SECONDS  seconds per fuzz target (default 5; make fuzz: 300)
set -uo pipefail

TOOLS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ALL_VM_KERNELS="6.1 6.12 7.2"

run_host=1
kernels=${PINSCOPE_VM_KERNELS:-all}
while [ $# -gt 1 ]; do
    case $1 in
        --no-host) run_host=0; shift ;;
        --kernels) kernels=$2; shift 2 ;;
        *) break ;;
    esac
done
if [ $# -ne 1 ] || [ ! -d "$1" ]; then
    echo "usage: tools/test.sh [--no-host] [--kernels LIST|all|none] OUTPUT_DIR" >&2
    exit 2
fi
out=$(cd "$1" && pwd)
case $kernels in
    all) kernels=$ALL_VM_KERNELS ;;
    none) kernels="" ;;
esac
read -r -a extra_args <<< "${PINSCOPE_TEST_ARGS:-}"
vm_timeout=${PINSCOPE_VM_TIMEOUT:-3000}

total_pass=0 total_fail=0 total_skip=0
rows=()          # kernel|version|backend|passed|failed|skipped|seconds|note
walls=()         # "name Ns"
work=$(mktemp -d "${TMPDIR:-/tmp}/pinscope-test.XXXXXX")
# vmtest.sh stops its qemu on TERM; the VMs run in the background
stop_vms() {
    local f
    for f in "$work"/vm-*.pid; do
        [ -f "$f" ] && [ ! -f "${f%.pid}.rc" ] && kill "$(cat "$f")" 2>/dev/null
    done
    return 0
}
trap 'stop_vms; rm -rf "$work"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
t_start=$(date +%s)

add_row() {
    rows+=("$1|$2|$3|$4|$5|$6|$7|$8")
    total_pass=$((total_pass + $4))
    total_fail=$((total_fail + $5))
    total_skip=$((total_skip + $6))
}

# run_stage KERNEL VERSION NAME CMD...: runs CMD, shows its output, and makes
# one row from its last line ("N passed, N failed, N skipped"). A stage
# without that line counts as one test by its exit status (77 = skip).
run_stage() {
    local kernel=$1 version=$2 name=$3 rc last p f s note="" start
    shift 3
    echo "=== $name: $*"
    start=$(date +%s)
    "$@" 2>&1 | tee "$work/stage.log"
    rc=${PIPESTATUS[0]}
    last=$(tail -n 1 "$work/stage.log")
    if [[ $last =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed,\ ([0-9]+)\ skipped$ ]]; then
        p=${BASH_REMATCH[1]} f=${BASH_REMATCH[2]} s=${BASH_REMATCH[3]}
        if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
            f=1 note="exit $rc with no failure counted: counted as one"
        fi
    else
        p=0 f=0 s=0
        case $rc in
            0) p=1 ;;
            77) s=1 note="exit 77: skipped" ;;
            *) f=1 note="exit $rc" ;;
        esac
    fi
    add_row "$kernel" "$version" "$name" "$p" "$f" "$s" "$(($(date +%s) - start))" "$note"
    note_failures "$kernel $name" "$work/stage.log"
}

# note_failures LABEL LOG: keeps LOG's "FAIL name (secs): reason" lines, so
# the end of the output names the failed tests (CI often shows only a tail).
note_failures() {
    tr -d '\r' <"$2" | sed -n "s|^\(\[[^]]*\] \)\{0,1\}FAIL \(.*\)$|$1: \2|p" |
        cut -c1-300 >>"$work/failures"
}

# Rows from tools/backend-suite.sh's PINSCOPE-RESULT lines in log $3 (the
# last line per backend wins); sets BACKENDS_FAILED and BACKENDS_SEEN.
BACKENDS_FAILED=0
BACKENDS_SEEN=0
add_backend_rows() {
    local kernel=$1 version=$2 log=$3 line backend state p f s secs note
    declare -A last=()
    local order=()
    BACKENDS_FAILED=0
    BACKENDS_SEEN=0
    while IFS= read -r line; do
        line=${line#*PINSCOPE-RESULT|}
        backend=${line%%|*}
        [ -n "${last[$backend]:-}" ] || order+=("$backend")
        last[$backend]=$line
    done < <(tr -d '\r' <"$log" | grep 'PINSCOPE-RESULT|')
    for backend in "${order[@]+"${order[@]}"}"; do
        IFS='|' read -r _ state p f s secs note <<<"${last[$backend]}"
        BACKENDS_SEEN=$((BACKENDS_SEEN + 1))
        if [ "$state" = unavailable ]; then
            note="not available: $note"
            secs=-
        fi
        add_row "$kernel" "$version" "$backend" "$p" "$f" "$s" "$secs" "$note"
        [ "$f" -eq 0 ] || BACKENDS_FAILED=$((BACKENDS_FAILED + 1))
    done
}

# Makes a directory of what the guest needs: --bin copies it into the initramfs.
stage_guest_binaries() {
    local dir=$1 f
    mkdir -p "$dir"
    for f in pinscope pinscope-workload pinscope-test unit-tests; do
        if [ -x "$out/$f" ]; then
            ln -s "$out/$f" "$dir/$f"
        else
            echo "test.sh: $out/$f is not built; the guest will lack it" >&2
        fi
    done
    install -m 0755 "$TOOLS_DIR/backend-suite.sh" "$dir/backend-suite.sh"
}

# Boots VM kernel $1 and runs the suite of backend $2 in it. One VM per
# (kernel, backend): a guest is one host thread, so separate VMs keep both
# host cores busy to the end, and a crash costs one backend only.
vm_run() {
    local k=$1 b=$2 start job="$work/vm-$1-$2"
    start=$(date +%s)
    "$TOOLS_DIR/vmtest.sh" --kernel "$k" --bin "$work/guest" --timeout "$vm_timeout" -- \
        env "PINSCOPE_BACKENDS=$b" \
        sh /opt/pinscope/bin/backend-suite.sh /opt/pinscope/bin "${extra_args[@]}" \
        >"$job.log" 2>&1 &
    echo $! >"$job.pid"
    wait $!
    # quiet: after an interrupt $work may be gone already
    { echo $? >"$job.rc"; echo $(($(date +%s) - start)) >"$job.secs"; } 2>/dev/null
}

# The row(s) of VM kernel $1, backend $2, from the log and vmtest.sh's exit
# status. What concerns the kernel itself (not fetchable) is said once.
declare -A KERNEL_NOTED=()
vm_rows() {
    local k=$1 b=$2 rc secs version uname debver why serial src log job
    job="$work/vm-$k-$b"
    log="$job.log"
    rc=$(cat "$job.rc") secs=$(cat "$job.secs")
    VM_SECS+=("$secs")
    if [ "$rc" -eq 77 ] || grep -q "^vmtest: \[$k\] FAIL: kernel neither" "$log"; then
        [ -z "${KERNEL_NOTED[$k]:-}" ] || return 0
        KERNEL_NOTED[$k]=1
        if [ "$rc" -eq 77 ]; then
            why=$(sed -n "s/^vmtest: \[$k\] SKIP: //p" "$log" | head -n1)
            add_row "$k" "-" "-" 0 0 1 "$secs" "skipped: ${why:-kernel unavailable}"
        else
            why=$(sed -n "s/^vmtest: \[$k\] FAIL: //p" "$log" | head -n1)
            add_row "$k" "-" "-" 0 1 0 "$secs" "FAILED: $why (PINSCOPE_VM_OPTIONAL=1 makes it a skip)"
        fi
        return 0
    fi
    # The guest's lines as vmtest streamed them; should that copy lack the
    # results, the serial log vmtest kept has them too.
    src=$log
    serial=$(sed -n "s/^vmtest: \[$k\] exit status .*; log \(.*\)$/\1/p" "$log" | tail -n1)
    if ! grep -q 'PINSCOPE-RESULT|' "$log" && [ -n "$serial" ] && [ -f "$serial" ]; then
        echo "test.sh: [$k] no results in the streamed output; reading $serial"
        src=$serial
    fi
    uname=$(tr -d '\r' <"$src" | sed -n "s/^\(\[$k\] \)\{0,1\}kernel: //p" | head -n1)
    debver=$(sed -n "s/^vmtest: \[$k\] kernel .* (Debian \([^:]*\):.*/\1/p" "$log" | head -n1)
    version=${uname:--}${debver:+ ($debver)}
    add_backend_rows "$k" "$version" "$src"
    if grep -q "^vmtest: \[$k\] kernel splat in guest dmesg" "$log"; then
        add_row "$k" "$version" "$b" 0 1 0 - \
            "kernel BUG/WARNING in the guest's dmesg (log above)"
    fi
    # The guest suite exits 1 exactly when its backend failed; anything else
    # is vmtest's own verdict (boot, crash, timeout).
    if { [ "$rc" -eq 0 ] && [ "$BACKENDS_FAILED" -eq 0 ] && [ "$BACKENDS_SEEN" -gt 0 ]; } ||
       { [ "$rc" -eq 1 ] && [ "$BACKENDS_FAILED" -gt 0 ]; }; then
        return 0
    fi
    why=$(grep -E "^vmtest: \[$k\] (FAIL|timed out|no end marker|guest setup failed|exit status)" "$log" |
          head -n1 | sed "s/^vmtest: \[$k\] //")
    [ "$rc" -ne 124 ] || why=${why:-timed out after ${vm_timeout}s}
    add_row "$k" "$version" "$b" 0 1 0 "$secs" "vmtest.sh exit $rc: ${why:-no backend result}"
}

print_matrix() {
    local row kernel version backend p f s secs note
    echo "=== matrix: kernel x backend"
    printf '%-6s %-39s %-10s %6s %6s %7s %5s  %s\n' kernel version backend \
        passed failed skipped secs note
    for row in "${rows[@]}"; do
        IFS='|' read -r kernel version backend p f s secs note <<<"$row"
        printf '%-6s %-39s %-10s %6s %6s %7s %5s  %s\n' "$kernel" "$version" \
            "$backend" "$p" "$f" "$s" "$secs" "$note"
    done
}

# ---------------------------------------------------------------------------
# VM kernels boot first, in the background (each VM is one host thread), and
# run while the host stages do; their logs are shown whole, one kernel after
# the other, once all are done.
# ---------------------------------------------------------------------------
vm_list=()
vm_backends=()
vm_pid=""
if [ -n "${kernels// /}" ]; then
    read -r -a vm_list <<< "$kernels"
    read -r -a vm_backends <<< "${PINSCOPE_BACKENDS:-fentry kprobe tracepoint}"
    njobs=$(( ${#vm_list[@]} * ${#vm_backends[@]} ))
    jobs_max=${PINSCOPE_VM_JOBS:-$(( $(nproc) + 1 ))}
    [ "$jobs_max" -le "$njobs" ] || jobs_max=$njobs
    stage_guest_binaries "$work/guest"
    echo "=== VM kernels ${vm_list[*]} x backends ${vm_backends[*]}: $njobs VMs, $jobs_max at a time, in the background (logs follow at the end)"
    v_start=$(date +%s)
    (
        running=0
        for k in "${vm_list[@]}"; do
            for b in "${vm_backends[@]}"; do
                if [ "$running" -ge "$jobs_max" ]; then
                    wait -n
                    running=$((running - 1))
                fi
                vm_run "$k" "$b" &
                running=$((running + 1))
            done
        done
        wait
    ) &
    vm_pid=$!
fi

# ---------------------------------------------------------------------------
# Host
# ---------------------------------------------------------------------------
host=$(uname -r)
echo "kernel: $host"
dmesg_before=""
if [ "$run_host" -eq 1 ]; then
    h_start=$(date +%s)
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
    # Like liburing's runner: a kernel BUG or WARNING during the suite fails
    # it, whatever the tests said. Unreadable dmesg (a container) is no verdict.
    dmesg_before=$(dmesg 2>/dev/null | wc -l) || dmesg_before=""

    if [ -x "$out/unit-tests" ]; then
        run_stage host "$host" unit "$out/unit-tests"
    else
        echo "=== unit: $out/unit-tests not built, stage left out"
    fi
    run_stage host "$host" self-test "$out/pinscope-test" --self-test
    # --version, man pages vs --help, completion, make install, make deb
    run_stage host "$host" packaging "$TOOLS_DIR/dist/check-all.sh" "$out"
    echo "=== kernel $host: every available backend"
    bash "$TOOLS_DIR/backend-suite.sh" "$out" "${extra_args[@]}" 2>&1 | tee "$work/host.log"
    add_backend_rows host "$host" "$work/host.log"
    note_failures "host $host" "$work/host.log"
    if [ "$BACKENDS_SEEN" -eq 0 ]; then
        add_row host "$host" "-" 0 1 0 - "backend-suite.sh printed no result"
    fi
    # the exporter against a real Prometheus, and top under tmux
    run_stage host "$host" exporter bash "$TOOLS_DIR/exporter-test.sh" "$out"
    # the same suite again under ASan and UBSan (make san-build)
    if [ -x "$out/asan/pinscope" ]; then
        run_stage host "$host" sanitizers "$TOOLS_DIR/sanitize.sh" "$out" "${extra_args[@]}"
    else
        echo "=== sanitizers: $out/asan is not built, stage left out"
    fi
    if [ -d "$out/asan/fuzz" ]; then
        run_stage host "$host" fuzz "$TOOLS_DIR/fuzz.sh" \
            --seconds "${PINSCOPE_FUZZ_SECONDS:-5}" "$out/asan"
    else
        echo "=== fuzz: $out/asan/fuzz is not built, stage left out"
    fi
    # every bench stage once, tiny: fails only when the harness breaks
    if [ -x "$out/bench/iops" ]; then
        run_stage host "$host" bench-smoke "$TOOLS_DIR/bench.sh" smoke "$out"
    else
        echo "=== bench-smoke: $out/bench is not built, stage left out"
    fi

    if [ -n "$dmesg_before" ]; then
        bad=$(dmesg 2>/dev/null | tail -n +"$((dmesg_before + 1))" |
              grep -E 'BUG:|WARNING:|Oops|general protection fault' || true)
        if [ -n "$bad" ]; then
            echo "=== kernel log: BUG/WARNING during the suite:"
            echo "$bad"
            add_row host "$host" dmesg 0 1 0 - "BUG/WARNING lines in dmesg during the suite"
        fi
    fi
    walls+=("host $(($(date +%s) - h_start))s")
fi

if [ -n "$vm_pid" ]; then
    wait "$vm_pid"
    for k in "${vm_list[@]}"; do
        VM_SECS=()
        for b in "${vm_backends[@]}"; do
            echo "=== VM kernel $k, backend $b"
            cat "$work/vm-$k-$b.log"
            vm_rows "$k" "$b"
            note_failures "$k $b" "$work/vm-$k-$b.log"
        done
        walls+=("$k $(IFS=/; echo "${VM_SECS[*]}")s (${vm_backends[*]})")
    done
    walls+=("VMs $(($(date +%s) - v_start))s")
fi

print_matrix
walls+=("total $(($(date +%s) - t_start))s")
echo "wall time: $(IFS=,; echo "${walls[*]}" | sed 's/,/, /g')"
if [ -s "$work/failures" ]; then
    echo "=== failed tests ($(wc -l <"$work/failures"); the first 20):"
    head -n 20 "$work/failures"
fi
echo "$total_pass passed, $total_fail failed, $total_skip skipped"
[ "$total_fail" -eq 0 ]
