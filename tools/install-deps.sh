#!/usr/bin/env bash
# Installs the Debian 12 packages pinscope needs, only those missing.
# Usage: tools/install-deps.sh [build|san|test|bench|dist|all]   (default: build)
# Idempotent: a second run installs nothing and touches no apt state.
set -euo pipefail

build_pkgs=(make gcc clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev
            libzstd-dev liburing-dev libjson-c-dev libevent-dev libbsd-dev)
# libbsd-dev: only its <bsd/sys/tree.h> (red-black tree macros), no library
# util-linux gives setpriv (dropping capabilities in tests); fio is a peer
# workload; qemu, busybox and cpio boot real distro kernels (tools/vmtest.sh);
# prometheus (with promtool) scrapes the exporter and tmux drives `top`;
# the exporter test reads Prometheus's answers with curl and jq.
test_pkgs=(util-linux fio qemu-system-x86 busybox-static cpio e2fsprogs
           zstd xz-utils prometheus tmux jq curl python3)
# clang's ASan, UBSan and libFuzzer runtime: make san-build, make fuzz, and
# the sanitizers and fuzz stages of make test
san_pkgs=(libclang-rt-14-dev)
bench_pkgs=(bpftrace)
# make install/deb and their tests (tools/dist/): man renders the pages,
# bash-completion drives the completion, debootstrap makes the clean
# Debian 12 the package is installed into.
dist_pkgs=(man-db dpkg-dev lintian bash-completion debootstrap)
# scdoc turns docs/man into man pages (make man, install, deb)
build_pkgs+=(scdoc)

want=()
case "${1:-build}" in
    build) want=("${build_pkgs[@]}") ;;
    san) want=("${build_pkgs[@]}" "${san_pkgs[@]}") ;;
    # the test suite ends with the bench smoke run, so it needs the peer too
    test|bench|all) want=("${build_pkgs[@]}" "${test_pkgs[@]}" "${san_pkgs[@]}"
                          "${bench_pkgs[@]}" "${dist_pkgs[@]}") ;;
    dist) want=("${build_pkgs[@]}" "${dist_pkgs[@]}") ;;
    *) echo "install-deps: unknown set '$1' (build|san|test|bench|dist|all)" >&2; exit 2 ;;
esac

find_missing() {
    missing=()
    for p in "${want[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' \
            || missing+=("$p")
    done
}
find_missing
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing packages: ${missing[*]}; run as root or install them" >&2
    exit 2
fi
# `make -j` runs several sets at once, and apt refuses a second install
# while one holds its lock: take turns, then see what is still missing.
lock_dir=/run/lock
[ -d "$lock_dir" ] || lock_dir=/tmp
exec 9>"$lock_dir/pinscope-install-deps.lock"
flock 9
find_missing
[ ${#missing[@]} -eq 0 ] && exit 0
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# An apt cache that cannot resolve a package is stale or empty: refresh once.
if ! apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
    apt-get update -q >/dev/null
    apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi
