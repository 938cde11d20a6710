# shellcheck shell=bash
# Initramfs and scratch disk for tools/vmtest.sh (sourced, not run).
# Needs vm_say / vm_warn from the caller and VM_TOOLS_DIR (this directory).

# Drivers the guest needs for its scratch disk and its emulated NVMe
# controller (URING_CMD passthrough). Debian cloud kernels build ext4 and
# virtio-pci in but virtio-blk as a module; nvme is built in on some and a
# module on others. Whichever of these is a module in the package gets
# loaded, dependencies first.
VM_WANTED_MODULES=(virtio_pci virtio_blk ext4 nvme_core nvme)

declare -A MOD_INDEX=()     # module name (with _) -> path under modules/
declare -A MOD_SEEN=()
MOD_ORDER=()
VM_NVME_STATE=""            # how the last initramfs's kernel has nvme

# Indexes every .ko* file of the kernel's modules tree $1 by module name.
index_modules() {
    local moddir=$1 rel name
    MOD_INDEX=()
    while IFS= read -r rel; do
        name=${rel##*/}
        name=${name%%.ko*}
        MOD_INDEX[${name//-/_}]=$rel
    done < <(find "$moddir" -name '*.ko*' -printf '%P\n')
}

# Writes module $3 (from tree $1) uncompressed to $2/<name>.ko: busybox
# insmod does not read every compression Debian has used.
extract_module() {
    local moddir=$1 outdir=$2 name=$3 src="$1/${MOD_INDEX[$3]}"
    case $src in
        *.ko.xz)  xz -dc "$src" ;;
        *.ko.zst) zstd -dcq "$src" ;;
        *.ko.gz)  gzip -dc "$src" ;;
        *)        cat "$src" ;;
    esac >"$outdir/$name.ko"
}

# Adds module $3 and, first, its dependencies (from its .modinfo "depends=";
# Debian packages ship no modules.dep) to MOD_ORDER. A name without a .ko is
# built in and needs nothing.
add_module() {
    local moddir=$1 outdir=$2 name=$3 deps dep
    [ -z "${MOD_SEEN[$name]:-}" ] || return 0
    MOD_SEEN[$name]=1
    [ -n "${MOD_INDEX[$name]:-}" ] || return 0
    extract_module "$moddir" "$outdir" "$name"
    deps=$(LC_ALL=C tr '\0' '\n' <"$outdir/$name.ko" | sed -n 's/^depends=//p' | head -n1)
    for dep in ${deps//,/ }; do
        add_module "$moddir" "$outdir" "${dep//-/_}"
    done
    MOD_ORDER+=("$name.ko")
}

# Prints how the kernel of modules tree $1 provides module $2 (name with _):
# "module", "built in" (listed in modules.builtin), or "absent". Call after
# index_modules.
module_state() {
    local moddir=$1 name=$2
    if [ -n "${MOD_INDEX[$name]:-}" ]; then
        echo module
    elif [ -f "$moddir/modules.builtin" ] &&
         sed 's,.*/,,; s,\.ko.*,,; s,-,_,g' "$moddir/modules.builtin" |
             grep -qx "$name"; then
        echo "built in"
    else
        echo absent
    fi
}

# Copies the needed modules of kernel dir $1 into initramfs root $2 and
# writes their load order to $2/etc/vmtest.modules.
install_modules() {
    local kernel_dir=$1 root=$2 name
    MOD_SEEN=()
    MOD_ORDER=()
    mkdir -p "$root/lib/modules"
    index_modules "$kernel_dir/modules"
    for name in "${VM_WANTED_MODULES[@]}"; do
        add_module "$kernel_dir/modules" "$root/lib/modules" "$name"
    done
    printf '%s\n' "${MOD_ORDER[@]+"${MOD_ORDER[@]}"}" >"$root/etc/vmtest.modules"
    # The guest waits for the NVMe namespace only where the driver exists.
    VM_NVME_STATE=$(module_state "$kernel_dir/modules" nvme)
    if [ "$VM_NVME_STATE" = absent ]; then
        echo VM_NVME=0
    else
        echo VM_NVME=1
    fi >>"$root/etc/vmtest.env"
}

# Quotes each argument for a POSIX shell (busybox sh reads the result).
sh_quote() {
    local arg out=""
    for arg in "$@"; do
        out+="'$(printf '%s' "$arg" | sed "s/'/'\\\\''/g")' "
    done
    printf '%s\n' "${out% }"
}

# Copies every executable regular file of $1 into $2; warns about dynamic ones.
install_binaries() {
    local bin_dir=$1 dest=$2 f n=0
    mkdir -p "$dest"
    for f in "$bin_dir"/* "$bin_dir"/.[!.]*; do
        if [ ! -f "$f" ] || [ ! -x "$f" ]; then
            continue
        fi
        cp -L "$f" "$dest/"
        n=$((n + 1))
        if command -v readelf >/dev/null &&
           readelf -l "$f" 2>/dev/null | grep -q 'Requesting program interpreter'; then
            vm_warn "$(basename "$f") is dynamically linked; it will not run in the guest"
        fi
    done
    [ "$n" -gt 0 ] || vm_warn "no executable files in $bin_dir"
}

# Builds $5 (gzip cpio) from: kernel dir $1, binaries dir $2, nonce $3,
# label $4, then the guest command as the remaining arguments.
build_initramfs() {
    local kernel_dir=$1 bin_dir=$2 nonce=$3 label=$4 out=$5 root
    shift 5
    root=$(dirname "$out")/root
    mkdir -p "$root/bin" "$root/etc" "$root/opt/pinscope/bin"
    cp /bin/busybox "$root/bin/busybox"
    install -m 0755 "$VM_TOOLS_DIR/init" "$root/init"
    printf 'VM_NONCE=%s\nVM_LABEL=%s\n' "$nonce" "$label" >"$root/etc/vmtest.env"
    sh_quote "$@" >"$root/etc/vmtest.cmd"
    install_binaries "$bin_dir" "$root/opt/pinscope/bin"
    install_modules "$kernel_dir" "$root"
    (cd "$root" && find . -print0 | LC_ALL=C sort -z |
        cpio --null -o -H newc -R 0:0 --quiet) | gzip -1 >"$out"
    rm -rf "$root"
}

# Creates the NVMe namespace's backing file $1 of $2 MiB: sparse zeros, so
# a case can tell its own writes from what was there.
make_nvme_backing() {
    truncate -s "${2}M" "$1"
}

# Creates an empty ext4 image $1 of $2 MiB (sparse; no root needed).
make_scratch_disk() {
    local image=$1 size_mb=$2
    truncate -s "${size_mb}M" "$image"
    mkfs.ext4 -q -F -L scratch "$image" >/dev/null
}
