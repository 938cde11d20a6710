# shellcheck shell=bash
# A clean Debian 12 (debootstrap --variant=minbase bookworm), made once and
# cached outside git beside the VM kernels, for installing the .deb into.
# Sourced by tools/dist/check-deb.sh; reuses tools/vm/fetch.sh's mirror
# lookup (the host's own apt configuration, or PINSCOPE_DEBIAN_MIRROR).
#
#   debian_root_cached         prints the cached tree, making it if needed;
#                              returns 1 (reason on stderr) when it cannot
#   debian_root_mount TREE DIR a throw-away writable view of TREE at DIR
#                              (overlayfs), with /proc, /sys and /dev inside
#   debian_root_umount DIR     undoes it

VM_CACHE=${PINSCOPE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pinscope}
DEBIAN_ROOT=$VM_CACHE/debootstrap/bookworm-minbase-$(dpkg --print-architecture)

debian_root_cached() {
    local tools mirror tmp
    if [ -f "$DEBIAN_ROOT/.pinscope-complete" ]; then
        echo "$DEBIAN_ROOT"
        return 0
    fi
    command -v debootstrap >/dev/null || {
        echo "debootstrap is not installed (tools/install-deps.sh dist)" >&2
        return 1
    }
    tools=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
    # fetch.sh wants these two from its caller
    vm_say() { echo "$*" >&2; }
    vm_warn() { echo "$*" >&2; }
    # shellcheck source=../vm/fetch.sh
    . "$tools/vm/fetch.sh"
    mirror=$(debian_mirror bookworm) || {
        echo "no Debian archive in the apt configuration (set PINSCOPE_DEBIAN_MIRROR)" >&2
        return 1
    }
    mkdir -p "$(dirname "$DEBIAN_ROOT")"
    tmp=$(mktemp -d "$DEBIAN_ROOT.tmp.XXXXXX")
    echo "debootstrap bookworm (minbase) into the cache, once (a few minutes)" >&2
    if ! debootstrap --variant=minbase --keyring="$VM_KEYRING" bookworm "$tmp" \
            "$mirror" >"$tmp.log" 2>&1; then
        echo "debootstrap failed: $(tail -n 1 "$tmp.log")" >&2
        rm -rf "$tmp" "$tmp.log"
        return 1
    fi
    rm -f "$tmp.log"
    date -u +%FT%TZ >"$tmp/.pinscope-complete"
    # another run may have won the race: keep one
    mv -T "$tmp" "$DEBIAN_ROOT" 2>/dev/null || rm -rf "$tmp"
    echo "$DEBIAN_ROOT"
}

debian_root_mount() {
    local tree=$1 dir=$2
    mkdir -p "$dir/upper" "$dir/work" "$dir/root"
    mount -t overlay overlay \
        -o "lowerdir=$tree,upperdir=$dir/upper,workdir=$dir/work" "$dir/root" || return 1
    mount -t proc proc "$dir/root/proc" &&
        mount --rbind /sys "$dir/root/sys" && mount --make-rslave "$dir/root/sys" &&
        mount --rbind /dev "$dir/root/dev" && mount --make-rslave "$dir/root/dev"
}

# Mount points at or under $1, innermost first.
mounts_under() {
    awk -v d="$1" '$2 == d || index($2, d "/") == 1 { print $2 }' /proc/self/mounts |
        sort -r
}

debian_root_umount() {
    local dir=$1 m
    for m in $(mounts_under "$dir/root"); do
        umount "$m" 2>/dev/null || umount -l "$m"
    done
    # Never delete through a bind mount of the host's /dev or /sys.
    if [ -n "$(mounts_under "$dir/root")" ]; then
        echo "debian-root: mounts left under $dir/root; not removing it" >&2
        return 1
    fi
    rm -rf --one-file-system "$dir"
}
