#!/usr/bin/env bash
# Boots real Debian distro kernels under qemu TCG (KVM cannot run guests on
# our hosts) and runs a static binary suite inside; the guest command's exit
# status becomes ours. The guest gets an ext4 scratch disk (virtio-blk) and
# an emulated NVMe controller (URING_CMD passthrough), both on sparse files
# in the run's work directory, removed after the run.
#
# Usage: tools/vmtest.sh --kernel 6.1|6.12|7.2|all --bin DIR [--timeout S]
#                        [--fetch-only] -- CMD [ARGS...]
#        tools/vmtest.sh --list
#
# Exit: the guest command's status; 124 the boot or run timed out; 1 no end
# marker (crash), guest setup failed, a kernel splat in dmesg, or the kernel
# is neither fetchable nor cached; 2 usage; 77 kernel unavailable and
# PINSCOPE_VM_OPTIONAL=1. With --kernel all: the first failing kernel's status.
#
# Environment: PINSCOPE_CACHE (default $XDG_CACHE_HOME/pinscope or
# ~/.cache/pinscope), PINSCOPE_VM_OPTIONAL=1, PINSCOPE_VM_TIMEOUT (seconds,
# default 300), PINSCOPE_VM_SCRATCH_MB (default 256), PINSCOPE_VM_NVME_MB
# (the emulated NVMe namespace, default 16), PINSCOPE_VM_SMP (guest
# CPUs, default 2; one host thread runs them all), PINSCOPE_DEBIAN_MIRROR
# (archive URI; default: the one /etc/apt uses for bookworm).
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

# mkfs.ext4 lives in /usr/sbin, which a user PATH on Debian leaves out.
PATH=$PATH:/usr/sbin:/sbin
TOOLS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VM_TOOLS_DIR=$TOOLS_DIR/vm
VM_CACHE=${PINSCOPE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pinscope}

EXIT_FAIL=1
EXIT_USAGE=2
EXIT_TIMEOUT=124
EXIT_SKIP=77
# Kernel splats that fail a run even when the suite passed.
DMESG_BAD_RE='BUG:|WARNING:|KASAN|lockdep|possible circular locking|self-detected stall|RCU stall|detected stalls'
KEEP_LOGS=20                # per label

KERNEL=""
BIN_DIR=""
TIMEOUT=${PINSCOPE_VM_TIMEOUT:-300}
SCRATCH_MB=${PINSCOPE_VM_SCRATCH_MB:-256}
NVME_MB=${PINSCOPE_VM_NVME_MB:-16}
FETCH_ONLY=0
LIST=0
GUEST_CMD=()

TMP_DIRS=()
QEMU_PID=""                 # the timeout(1) process wrapping qemu
STREAM_PID=""

# Result of the last run_kernel call.
RUN_STATUS=0
RUN_VERSION=""
RUN_NOTE=""
RUN_SECS=""

vm_say() { printf 'vmtest: %s\n' "$*" >&2; }
vm_warn() { printf 'vmtest: %s\n' "$*" >&2; }
die() { vm_warn "$*"; exit "$EXIT_FAIL"; }
die_usage() { vm_warn "$* (see --help)"; exit "$EXIT_USAGE"; }

# shellcheck source=vm/fetch.sh
. "$VM_TOOLS_DIR/fetch.sh"
# shellcheck source=vm/initramfs.sh
. "$VM_TOOLS_DIR/initramfs.sh"

usage() {
    sed -n '2,/^# shellcheck/{ /^# shellcheck/d; s/^# \{0,1\}//; p }' "${BASH_SOURCE[0]}"
}

cleanup() {
    local pid
    for pid in $QEMU_PID $STREAM_PID; do
        if kill -0 "$pid" 2>/dev/null; then
            kill "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
        fi
    done
    if [ ${#TMP_DIRS[@]} -gt 0 ]; then
        rm -rf "${TMP_DIRS[@]}"
    fi
}

parse_args() {
    while [ $# -gt 0 ]; do
        case $1 in
            --kernel|--bin|--timeout)
                [ $# -ge 2 ] || die_usage "$1 needs a value"
                case $1 in
                    --kernel)  KERNEL=$2 ;;
                    --bin)     BIN_DIR=$2 ;;
                    --timeout) TIMEOUT=$2 ;;
                esac
                shift 2 ;;
            --kernel=*)  KERNEL=${1#*=}; shift ;;
            --bin=*)     BIN_DIR=${1#*=}; shift ;;
            --timeout=*) TIMEOUT=${1#*=}; shift ;;
            --fetch-only) FETCH_ONLY=1; shift ;;
            --list) LIST=1; shift ;;
            -h|--help) usage; exit 0 ;;
            --) shift; GUEST_CMD=("$@"); break ;;
            *) die_usage "unknown argument '$1'" ;;
        esac
    done
}

check_args() {
    [ "$LIST" -eq 0 ] || return 0
    [ -n "$KERNEL" ] || die_usage "--kernel is required (${VM_LABELS[*]} all)"
    if [ "$KERNEL" != all ] && [ -z "${VM_LABEL_SUITE[$KERNEL]:-}" ]; then
        die_usage "unknown kernel '$KERNEL' (${VM_LABELS[*]} all)"
    fi
    [[ $TIMEOUT =~ ^[1-9][0-9]*$ ]] || die_usage "--timeout wants whole seconds, got '$TIMEOUT'"
    [[ $SCRATCH_MB =~ ^[1-9][0-9]*$ ]] || die_usage "PINSCOPE_VM_SCRATCH_MB wants MiB, got '$SCRATCH_MB'"
    [[ $NVME_MB =~ ^[1-9][0-9]*$ ]] || die_usage "PINSCOPE_VM_NVME_MB wants MiB, got '$NVME_MB'"
    [ "$FETCH_ONLY" -eq 0 ] || return 0
    [ -n "$BIN_DIR" ] || die_usage "--bin DIR is required"
    [ -d "$BIN_DIR" ] || die_usage "--bin: '$BIN_DIR' is not a directory"
    [ ${#GUEST_CMD[@]} -gt 0 ] || die_usage "no guest command after --"
}

missing_commands() {
    local cmd
    for cmd in "$@"; do
        command -v "$cmd" >/dev/null || printf '%s ' "$cmd"
    done
}

# Installs the test packages when a tool is missing (needs root).
check_deps() {
    local need=(apt-get apt-cache dpkg-deb flock) missing
    if [ "$LIST" -eq 0 ] && [ "$FETCH_ONLY" -eq 0 ]; then
        need+=(qemu-system-x86_64 busybox cpio mkfs.ext4 gzip xz zstd timeout truncate)
    fi
    missing=$(missing_commands "${need[@]}")
    if [ -n "$missing" ]; then
        vm_say "missing ${missing}; running tools/install-deps.sh test"
        bash "$TOOLS_DIR/install-deps.sh" test >&2 || true
        missing=$(missing_commands "${need[@]}")
        [ -z "$missing" ] || die "missing commands: $missing(tools/install-deps.sh test)"
    fi
    if [ "$LIST" -eq 0 ] && [ "$FETCH_ONLY" -eq 0 ] &&
       readelf -l /bin/busybox 2>/dev/null | grep -q 'program interpreter'; then
        die "/bin/busybox is dynamically linked; install busybox-static"
    fi
}

# Prints the guest output lines (between the begin and end markers) of the
# growing serial log $1 while qemu (pid $2) runs, prefixed with "[label] ".
# A read loop, not awk: mawk block-buffers its input and would hold the
# lines back until qemu exits.
stream_guest_output() {
    local log=$1 pid=$2 prefix="[$3] " begin="PINSCOPE-VM-BEGIN-$4"
    local end="PINSCOPE-VM-END-$4" line on=0 head
    while IFS= read -r line || [ -n "$line" ]; do
        line=${line%$'\r'}
        if [[ $line == *"$end"* ]]; then
            # output without a final newline shares the line with the marker
            head=${line%%"$end"*}
            if [ "$on" -eq 1 ] && [ -n "$head" ]; then
                printf '%s%s\n' "$prefix" "$head"
            fi
            on=0
        elif [ "$on" -eq 1 ]; then
            printf '%s%s\n' "$prefix" "$line"
        elif [[ $line == *"$begin"* ]]; then
            on=1
        fi
    done < <(tail -n +1 -s 0.2 -f --pid="$pid" "$log" 2>/dev/null)
}

# Boots kernel dir $1 with initramfs and disk from $2, serial log to $3.
# Prints the qemu status (124 on timeout); sets RUN_SECS.
boot_guest() {
    local kernel_dir=$1 work=$2 log=$3 label=$4 nonce=$5 start rc=0
    start=$(date +%s%N)
    # before the streamer's tail -f looks: a log qemu has not created yet
    # would make it give up at once, and the guest's lines would be lost
    : >"$log"
    # thread=single: with multi-threaded TCG, a vCPU can run a stale
    # translation of kernel text that another vCPU is live-patching (static
    # keys, tracepoint enable): "Oops: int3" / invalid opcode panics, seen at
    # boot on 7.2 and when syscall tracepoints were detached on 6.12.
    timeout -k 10 "$TIMEOUT" qemu-system-x86_64 \
        -accel tcg,thread=single -cpu max -m 2G -smp "${PINSCOPE_VM_SMP:-2}" \
        -kernel "$kernel_dir/vmlinuz" -initrd "$work/initrd.gz" \
        -append "console=ttyS0 quiet panic=-1" \
        -drive "file=$work/scratch.img,format=raw,if=virtio" \
        -drive "file=$work/nvme.img,format=raw,if=none,id=nvm" \
        -device "nvme,serial=pinscope,drive=nvm" \
        -nic none -nographic -no-reboot </dev/null >"$log" 2>&1 &
    QEMU_PID=$!
    # In the background too: bash runs the INT/TERM traps only between
    # foreground commands, but interrupts a wait at once.
    stream_guest_output "$log" "$QEMU_PID" "$label" "$nonce" &
    STREAM_PID=$!
    wait "$QEMU_PID" || rc=$?
    QEMU_PID=""
    wait "$STREAM_PID" || true
    STREAM_PID=""
    RUN_SECS=$(awk -v ns=$(( $(date +%s%N) - start )) 'BEGIN { printf "%.1f", ns / 1e9 }')
    return "$rc"
}

# Prints the serial log's last lines, for crashes and timeouts.
show_log_tail() {
    local log=$1 label=$2
    tr -d '\r' <"$log" | tail -n 25 |
        sed -e 's/\x1b\[[0-9;?]*[A-Za-z]//g; s/\x1bc//g' -e "s/^/[$label] log: /" >&2
}

# Sets RUN_STATUS and RUN_NOTE from the serial log $1 of a finished guest.
judge_guest() {
    local log=$1 label=$2 nonce=$3 qemu_rc=$4 status setup_error bad
    if [ "$qemu_rc" -eq 124 ]; then
        RUN_STATUS=$EXIT_TIMEOUT
        RUN_NOTE="timeout"
        vm_warn "[$label] timed out after ${TIMEOUT}s; log $log"
        show_log_tail "$log" "$label"
        return
    fi
    setup_error=$(tr -d '\r' <"$log" | sed -n "s/.*PINSCOPE-VM-ERROR-$nonce //p" | head -n1)
    status=$(tr -d '\r' <"$log" | sed -n "s/.*PINSCOPE-VM-END-$nonce status=\([0-9]*\).*/\1/p" |
             tail -n1)
    if [ -n "$setup_error" ]; then
        RUN_STATUS=$EXIT_FAIL
        RUN_NOTE="setup"
        vm_warn "[$label] guest setup failed: $setup_error; log $log"
        show_log_tail "$log" "$label"
        return
    fi
    if [ -z "$status" ]; then
        RUN_STATUS=$EXIT_FAIL
        RUN_NOTE="no-marker"
        vm_warn "[$label] no end marker (qemu status $qemu_rc; crash or panic?); log $log"
        show_log_tail "$log" "$label"
        return
    fi
    RUN_STATUS=$status
    RUN_NOTE=""
    bad=$(tr -d '\r' <"$log" |
          sed -n "/PINSCOPE-VM-DMESG-BEGIN-$nonce/,/PINSCOPE-VM-DMESG-END-$nonce/p" |
          grep -E "$DMESG_BAD_RE" || true)
    if [ -n "$bad" ]; then
        vm_warn "[$label] kernel splat in guest dmesg; log $log"
        printf '%s\n' "$bad" | sed "s/^/[$label] dmesg: /" >&2
        RUN_NOTE="dmesg"
        [ "$RUN_STATUS" -ne 0 ] || RUN_STATUS=$EXIT_FAIL
    fi
}

# Keeps the newest KEEP_LOGS serial logs of label $1.
prune_logs() {
    local label=$1 old
    while IFS= read -r old; do
        rm -f "$old"
    done < <(find "$VM_CACHE/logs" -maxdepth 1 -name "$label-*.log" -printf '%T@ %p\n' |
             sort -rn | tail -n +$((KEEP_LOGS + 1)) | cut -d' ' -f2-)
}

# Boots cached kernel dir $1 for label $2 with the suite; sets RUN_*.
boot_and_run() {
    local kernel_dir=$1 label=$2 work nonce log qemu_rc=0 uname_line
    work=$(mktemp -d "${TMPDIR:-/tmp}/pinscope-vm.XXXXXX")
    TMP_DIRS+=("$work")
    nonce=$(od -An -tx1 -N8 /dev/urandom | tr -d ' \n')
    build_initramfs "$kernel_dir" "$BIN_DIR" "$nonce" "$label" "$work/initrd.gz" \
        "${GUEST_CMD[@]}"
    vm_say "[$label] modules in initramfs: ${MOD_ORDER[*]:-none (all built in)}; nvme: $VM_NVME_STATE"
    make_scratch_disk "$work/scratch.img" "$SCRATCH_MB"
    make_nvme_backing "$work/nvme.img" "$NVME_MB"
    mkdir -p "$VM_CACHE/logs"
    log="$VM_CACHE/logs/$label-$(date +%Y%m%d-%H%M%S)-$$.log"
    boot_guest "$kernel_dir" "$work" "$log" "$label" "$nonce" || qemu_rc=$?
    rm -rf "$work"
    uname_line=$(tr -d '\r' <"$log" | sed -n "s/.*PINSCOPE-VM-UNAME-$nonce //p" | head -n1)
    [ -z "$uname_line" ] || vm_say "[$label] guest uname: $uname_line"
    judge_guest "$log" "$label" "$nonce" "$qemu_rc"
    vm_say "[$label] exit status $RUN_STATUS${RUN_NOTE:+ ($RUN_NOTE)} after ${RUN_SECS}s; log $log"
    prune_logs "$label"
}

# Fetches label $1's kernel and, unless --fetch-only, runs the suite on it.
run_kernel() {
    local label=$1 kernel_dir KVER DEB_VERSION PACKAGES
    RUN_STATUS=0 RUN_VERSION="-" RUN_NOTE="" RUN_SECS="-"
    if ! kernel_dir=$(fetch_kernel "$label"); then
        if [ "${PINSCOPE_VM_OPTIONAL:-0}" = 1 ]; then
            vm_say "[$label] SKIP: kernel neither fetchable nor cached in $VM_CACHE (PINSCOPE_VM_OPTIONAL=1)"
            RUN_STATUS=$EXIT_SKIP RUN_NOTE="skip"
        else
            vm_warn "[$label] FAIL: kernel neither fetchable nor cached in $VM_CACHE"
            RUN_STATUS=$EXIT_FAIL RUN_NOTE="no-kernel"
        fi
        return
    fi
    # shellcheck disable=SC1091
    . "$kernel_dir/kernel.env"
    RUN_VERSION="$KVER $DEB_VERSION"
    vm_say "[$label] kernel $KVER (Debian $DEB_VERSION: $PACKAGES)"
    [ "$FETCH_ONLY" -eq 1 ] || boot_and_run "$kernel_dir" "$label"
}

# Prints the --kernel all summary from "label|version|status|note|secs" rows.
print_summary() {
    local row label version status note secs
    printf '\n%-6s %-38s %-14s %7s\n' kernel exact-version status seconds
    for row in "$@"; do
        IFS='|' read -r label version status note secs <<<"$row"
        printf '%-6s %-38s %-14s %7s\n' "$label" "$version" \
            "$status${note:+ $note}" "$secs"
    done
}

# With several kernels: the first failure's status; 77 only if all skipped.
overall_status() {
    local row status note overall=0 ran=0
    for row in "$@"; do
        IFS='|' read -r _ _ status note _ <<<"$row"
        [ "$note" = skip ] && continue
        ran=1
        [ "$overall" -ne 0 ] || overall=$status
    done
    [ "$ran" -eq 1 ] || overall=$EXIT_SKIP
    printf '%s\n' "$overall"
}

main() {
    local labels=() label rows=()
    parse_args "$@"
    check_args
    check_deps
    mkdir -p "$VM_CACHE"
    if [ "$LIST" -eq 1 ]; then
        list_kernels
        return 0
    fi
    if [ "$KERNEL" = all ]; then
        labels=("${VM_LABELS[@]}")
    else
        labels=("$KERNEL")
    fi
    for label in "${labels[@]}"; do
        run_kernel "$label"
        rows+=("$label|$RUN_VERSION|$RUN_STATUS|$RUN_NOTE|$RUN_SECS")
    done
    [ ${#labels[@]} -eq 1 ] || print_summary "${rows[@]}"
    return "$(overall_status "${rows[@]}")"
}

trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
main "$@"
