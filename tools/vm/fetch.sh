# shellcheck shell=bash
# Kernel fetch for tools/vmtest.sh (sourced, not run).
# Resolves the newest Debian cloud kernel for a label on the mirror the host's
# own apt configuration uses, downloads and unpacks it into the cache, and
# falls back to the newest cached kernel when the mirror cannot be reached.
#
# Needs: VM_CACHE (cache root), and vm_say / vm_warn from the caller.
#
# Cache layout (outside git):
#   $VM_CACHE/apt/<suite>/            private apt state (lists, sources, cache)
#   $VM_CACHE/kernels/<label>/<kver>_<debian-version>/
#       debs/*.deb  vmlinuz  config  modules/  kernel.env (written last)

VM_LABELS=(6.1 6.12 7.2)
declare -A VM_LABEL_SUITE=([6.1]=bookworm [6.12]=trixie [7.2]=sid)
# Package names of the image packages (apt-cache search takes POSIX EREs).
# Respins carry a suffix on the ABI name: 6.12.115+deb13.1-cloud-amd64.
declare -A VM_LABEL_IMAGE_RE=(
    [6.1]='^linux-image-6\.1\.0-[0-9]+-cloud-amd64-unsigned$'
    [6.12]='^linux-image-6\.12\.[0-9]+\+deb13(\.[0-9]+)?-cloud-amd64-unsigned$'
    [7.2]='^linux-image-7\.2\.[0-9]+\+deb14(\.[0-9]+)?-cloud-amd64$'
)
VM_KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
VM_KEEP_KERNELS=2           # per label: the newest and one fallback

APT_OPTS=()

# Prints the first archive URI that the host's apt sources use for suite $1
# (one-line .list and deb822 .sources formats).
host_apt_uri() {
    local suite=$1 f files=()
    [ -f /etc/apt/sources.list ] && files+=(/etc/apt/sources.list)
    for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] && files+=("$f")
    done
    [ ${#files[@]} -gt 0 ] || return 1
    awk -v want="$suite" '
        function trim(s) { gsub(/^[ \t]+|[ \t]+$/, "", s); return s }
        function emit(uri) {
            if (!found && uri ~ /^(https?|ftp|file):/) { print uri; found = 1 }
        }
        function stanza_end(   nu, ns, i, j, u, s) {
            if (types ~ /(^|[ \t])deb([ \t]|$)/ && tolower(enabled) != "no") {
                nu = split(uris, u); ns = split(suites, s)
                for (j = 1; j <= ns; j++)
                    if (s[j] == want)
                        for (i = 1; i <= nu; i++) emit(u[i])
            }
            types = uris = suites = enabled = ""
        }
        FNR == 1 { if (deb822) stanza_end(); deb822 = (FILENAME ~ /\.sources$/) }
        deb822 {
            if ($0 ~ /^[ \t]*#/) next
            if ($0 ~ /^[ \t]*$/) { stanza_end(); next }
            if (match($0, /^[A-Za-z-]+:/)) {
                key = tolower(substr($0, 1, RLENGTH - 1))
                val = trim(substr($0, RLENGTH + 1))
                if (key == "types") types = val
                else if (key == "uris") uris = val
                else if (key == "suites") suites = val
                else if (key == "enabled") enabled = val
            }
            next
        }
        {
            sub(/#.*/, "")
            if ($1 != "deb") next
            line = $0
            gsub(/\[[^]]*\]/, " ", line)
            if (split(line, w) >= 3 && w[3] == want) emit(w[2])
        }
        END { if (deb822) stanza_end(); exit !found }' "${files[@]}"
}

# Prints the Debian archive URI: PINSCOPE_DEBIAN_MIRROR, else the one the
# host serves bookworm from, else the one for the wanted suite.
debian_mirror() {
    local suite=$1
    if [ -n "${PINSCOPE_DEBIAN_MIRROR:-}" ]; then
        printf '%s\n' "$PINSCOPE_DEBIAN_MIRROR"
        return 0
    fi
    host_apt_uri bookworm || host_apt_uri "$suite"
}

# Writes the private apt state for suite $1 and fills APT_OPTS to use it.
apt_state_init() {
    local suite=$1 dir="$VM_CACHE/apt/$1" mirror security signed=""
    mirror=$(debian_mirror "$suite") || {
        vm_warn "no Debian archive URI in /etc/apt (set PINSCOPE_DEBIAN_MIRROR)"
        return 1
    }
    mkdir -p "$dir/lists/partial" "$dir/cache" "$dir/sources.list.d" \
             "$dir/preferences.d"
    : >"$dir/status"
    [ -f "$VM_KEYRING" ] && signed=" signed-by=$VM_KEYRING"
    {
        printf 'deb [arch=amd64%s] %s %s main\n' "$signed" "$mirror" "$suite"
        # Kernel ABI bumps reach stable through the security archive first.
        if [ "$suite" != sid ] && [ -z "${PINSCOPE_DEBIAN_MIRROR:-}" ] &&
           security=$(host_apt_uri bookworm-security); then
            printf 'deb [arch=amd64%s] %s %s-security main\n' \
                "$signed" "$security" "$suite"
        fi
    } >"$dir/sources.list"
    APT_OPTS=(
        -o "Dir::State::Lists=$dir/lists"
        -o "Dir::State::status=$dir/status"
        -o "Dir::Etc::SourceList=$dir/sources.list"
        -o "Dir::Etc::SourceParts=$dir/sources.list.d"
        -o "Dir::Etc::Preferences=$dir/preferences"
        -o "Dir::Etc::PreferencesParts=$dir/preferences.d"
        -o "Dir::Cache=$dir/cache"
        -o "APT::Sandbox::User=root"
        -o "Acquire::Languages=none"
        -o "Acquire::Retries=1"
        -o "Acquire::http::Timeout=20"
        -o "Acquire::https::Timeout=20"
    )
}

# Refreshes the private lists; fails (with the first error) when the mirror
# cannot be reached. apt-get update exits 0 on fetch errors without --error-on.
apt_refresh() {
    local suite=$1 log="$VM_CACHE/apt/$1/update.log"
    if apt-get "${APT_OPTS[@]}" -q --error-on=any update >"$log" 2>&1; then
        return 0
    fi
    vm_warn "mirror unreachable for $suite: $(grep -m1 '^E:' "$log" || tail -n1 "$log")"
    return 1
}

# Reads "item version" lines; prints the one with the highest Debian version.
newest_version() {
    local item version best_item="" best_version=""
    while read -r item version; do
        if [ -z "$best_version" ] ||
           dpkg --compare-versions "$version" gt "$best_version"; then
            best_item=$item
            best_version=$version
        fi
    done
    [ -n "$best_version" ] || return 1
    printf '%s %s\n' "$best_item" "$best_version"
}

# Prints "image-package version" of the newest image package for label $1.
resolve_newest() {
    local label=$1 names
    names=$(apt-cache "${APT_OPTS[@]}" search --names-only \
                "${VM_LABEL_IMAGE_RE[$label]}" | awk '{ print $1 }')
    [ -n "$names" ] || return 1
    # shellcheck disable=SC2086  # one package name per word
    apt-cache "${APT_OPTS[@]}" policy $names | awk '
        /^[^ ]/ { pkg = $1; sub(/:$/, "", pkg) }
        /^  Candidate:/ && $2 != "(none)" { print pkg, $2 }' | newest_version
}

# linux-image-6.1.0-56-cloud-amd64-unsigned -> 6.1.0-56-cloud-amd64
image_kver() {
    local kver=${1#linux-image-}
    printf '%s\n' "${kver%-unsigned}"
}

# Prints the packages that hold vmlinuz, modules and config for $1 (kver).
# Since 7.x (sid) linux-image-* is a meta package over linux-binary-*,
# linux-modules-* and linux-base-*; before, linux-image-* holds it all.
kernel_packages() {
    local kver=$1 image_pkg=$2
    if apt-cache "${APT_OPTS[@]}" show "linux-binary-unsigned-$kver" \
            >/dev/null 2>&1; then
        printf '%s\n' "linux-binary-unsigned-$kver" "linux-modules-$kver" \
                      "linux-base-$kver"
    else
        printf '%s\n' "$image_pkg"
    fi
}

# Moves vmlinuz, config and the modules tree of $2 (kver) out of the .debs
# in $1/debs into $1.
unpack_kernel() {
    local dir=$1 kver=$2 deb root="$1/root" path
    mkdir -p "$root"
    for deb in "$dir"/debs/*.deb; do
        dpkg-deb -x "$deb" "$root"
    done
    for path in "boot/vmlinuz-$kver" "usr/lib/modules/$kver/vmlinuz.unsigned" \
                "usr/lib/modules/$kver/vmlinuz" "lib/modules/$kver/vmlinuz"; do
        if [ -f "$root/$path" ]; then
            mv "$root/$path" "$dir/vmlinuz"
            break
        fi
    done
    [ -f "$dir/vmlinuz" ] || { vm_warn "no vmlinuz for $kver in $(basename -a "$dir"/debs/*.deb | tr '\n' ' ')"; return 1; }
    for path in "usr/lib/modules/$kver" "lib/modules/$kver"; do
        if [ -d "$root/$path" ]; then
            mv "$root/$path" "$dir/modules"
            break
        fi
    done
    mkdir -p "$dir/modules"
    if [ -f "$root/boot/config-$kver" ]; then
        mv "$root/boot/config-$kver" "$dir/config"
    elif [ -f "$dir/modules/config" ]; then
        mv "$dir/modules/config" "$dir/config"
    fi
    rm -rf "$root"
}

# Downloads and unpacks image package $2 version $3 for label $1; prints the
# cache directory. A directory with kernel.env is complete and reused.
download_kernel() {
    local label=$1 image_pkg=$2 version=$3 kver dir tmp pkgs pkg specs=()
    kver=$(image_kver "$image_pkg")
    dir="$VM_CACHE/kernels/$label/${kver}_$version"
    if [ -f "$dir/kernel.env" ]; then
        printf '%s\n' "$dir"
        return 0
    fi
    mapfile -t pkgs < <(kernel_packages "$kver" "$image_pkg")
    for pkg in "${pkgs[@]}"; do
        specs+=("$pkg=$version")
    done
    tmp=$(mktemp -d "$VM_CACHE/kernels/$label/.partial.XXXXXX")
    vm_say "[$label] downloading ${pkgs[*]} $version"
    mkdir "$tmp/debs"
    if ! (cd "$tmp/debs" && apt-get "${APT_OPTS[@]}" -q download "${specs[@]}") \
            >"$tmp/download.log" 2>&1; then
        vm_warn "[$label] download failed: $(grep -m1 '^E:' "$tmp/download.log" || tail -n1 "$tmp/download.log")"
        rm -rf "$tmp"
        return 1
    fi
    if ! unpack_kernel "$tmp" "$kver"; then
        rm -rf "$tmp"
        return 1
    fi
    rm -f "$tmp/download.log"
    printf 'KVER=%s\nDEB_VERSION=%s\nPACKAGES="%s"\n' \
        "$kver" "$version" "${pkgs[*]}" >"$tmp/kernel.env"
    mv -T "$tmp" "$dir"
    printf '%s\n' "$dir"
}

# Prints the cached kernel directories of label $1, newest first.
cached_kernels() {
    local base="$VM_CACHE/kernels/$1" env name
    for env in "$base"/*/kernel.env; do
        [ -f "$env" ] || continue
        name=$(basename "$(dirname "$env")")
        printf '%s %s\n' "$name" "$(sed -n 's/^DEB_VERSION=//p' "$env")"
    done | reorder_by_dpkg | while read -r name; do
        printf '%s\n' "$base/$name"
    done
}

# Reads "name version" lines; prints the names, newest version first.
reorder_by_dpkg() {
    local lines=() best rest line
    mapfile -t lines
    while [ ${#lines[@]} -gt 0 ]; do
        best=$(printf '%s\n' "${lines[@]}" | newest_version)
        printf '%s\n' "${best%% *}"
        rest=()
        for line in "${lines[@]}"; do
            [ "$line" = "$best" ] || rest+=("$line")
        done
        lines=("${rest[@]+"${rest[@]}"}")
    done
}

# Keeps the VM_KEEP_KERNELS newest kernels of label $1; removes stale
# partial downloads (the caller holds the label lock).
prune_kernels() {
    local label=$1 dir n=0
    rm -rf "$VM_CACHE/kernels/$label"/.partial.*
    while read -r dir; do
        n=$((n + 1))
        [ "$n" -le "$VM_KEEP_KERNELS" ] || rm -rf "$dir"
    done < <(cached_kernels "$label")
}

# Prints the cache directory of the kernel to boot for label $1: the newest on
# the mirror, else the newest cached one. Holds a per-label lock meanwhile.
fetch_kernel() {
    local label=$1 suite=${VM_LABEL_SUITE[$1]} resolved dir lock_fd
    mkdir -p "$VM_CACHE/kernels/$label"
    exec {lock_fd}>"$VM_CACHE/kernels/$label/.lock"
    flock "$lock_fd"
    if apt_state_init "$suite" && apt_refresh "$suite"; then
        if resolved=$(resolve_newest "$label"); then
            # shellcheck disable=SC2086  # "package version"
            if dir=$(download_kernel "$label" $resolved); then
                prune_kernels "$label"
                exec {lock_fd}>&-
                printf '%s\n' "$dir"
                return 0
            fi
        else
            vm_warn "[$label] no package matches ${VM_LABEL_IMAGE_RE[$label]} in $suite"
        fi
    fi
    dir=$(cached_kernels "$label" | head -n1)
    exec {lock_fd}>&-
    [ -n "$dir" ] || return 1
    vm_warn "[$label] falling back to the newest cached kernel: $(basename "$dir")"
    printf '%s\n' "$dir"
}

# For --list: prints what the mirror offers and what the cache holds.
list_kernels() {
    local label suite resolved dir
    for label in "${VM_LABELS[@]}"; do
        suite=${VM_LABEL_SUITE[$label]}
        resolved="(mirror unreachable)"
        if apt_state_init "$suite" && apt_refresh "$suite"; then
            resolved=$(resolve_newest "$label") || resolved="(no match)"
        fi
        printf '%-5s %-9s mirror: %s\n' "$label" "$suite" "$resolved"
        while read -r dir; do
            [ -n "$dir" ] || continue
            # shellcheck disable=SC1091,SC2153  # KVER etc. come from kernel.env
            ( . "$dir/kernel.env"; printf '%-15s cached: %s %s (%s)\n' "" \
                "$KVER" "$DEB_VERSION" "$PACKAGES" )
        done < <(cached_kernels "$label")
    done
}
