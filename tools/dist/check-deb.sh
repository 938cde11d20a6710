#!/usr/bin/env bash
# make deb, judged:
#  - control fields: Version from tools/version.sh, the architecture,
#    Depends exactly when a binary is dynamic (static: none), Built-Using
#    naming the static libraries' sources, Installed-Size;
#  - contents: the install set under /usr, man pages gzipped, copyright,
#    changelog.Debian.gz, lintian overrides;
#  - lintian: no error, and no warning outside the known list below;
#  - dpkg --root into an empty database: installs (nothing to depend on),
#    the installed binary runs --version and features, purge leaves nothing;
#  - a clean Debian 12 (debootstrap, cached): dpkg -i in the chroot, then
#    pinscope --version and pinscope features there (/proc, /sys, /dev
#    bound in), purge.
# Needs root (dpkg --root, chroot, BPF). Prints "ok"/"FAIL"/"SKIP" lines and
# "N passed, N failed, N skipped" last.
# Usage: tools/dist/check-deb.sh OUTPUT_DIR
set -uo pipefail
out=$(cd "${1:?usage: tools/dist/check-deb.sh OUTPUT_DIR}" && pwd)
dist=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$dist/../.." && pwd)
pass=0 fail=0 skip=0
ok() { echo "ok   $*"; pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }
skipped() { echo "SKIP $*"; skip=$((skip + 1)); }
expect() {
    if [ "$2" = "$3" ]; then ok "$1: $(echo "$3" | head -c 150 | tr '\n' ' ')"; else
        bad "$1: expected [$(echo "$2" | tr '\n' ' ')] got [$(echo "$3" | tr '\n' ' ')]"
    fi
}
# lintian warnings that stay, and why:
#  initial-upload-closes-no-bugs: a first upload to Debian's archive closes
#  its ITP bug; this package is built from the upstream tree, not uploaded.
LINTIAN_KNOWN_WARNINGS="initial-upload-closes-no-bugs"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pinscope-deb.XXXXXX")
chroot_dir=""
# shellcheck source=debian-root.sh
. "$dist/debian-root.sh"
cleanup() {
    [ -z "$chroot_dir" ] || debian_root_umount "$chroot_dir"
    rm -rf "$tmp"
}
trap cleanup EXIT

if [ "$(id -u)" -ne 0 ]; then
    echo "SKIP check-deb needs root (dpkg --root, chroot, BPF)"
    echo "0 passed, 0 failed, 1 skipped"
    exit 0
fi

if ! make -s -C "$src" OUTPUT="$out" deb >"$tmp/make.log" 2>&1; then
    bad "make deb failed: $(tail -n 3 "$tmp/make.log" | tr '\n' ' ')"
    echo "$pass passed, $fail failed, $skip skipped"
    exit 1
fi
deb=$(tail -n 1 "$tmp/make.log")
ok "make deb built $(basename "$deb")"

field() { dpkg-deb -f "$deb" "$1"; }
version=$("$src/tools/version.sh")
expect "Version is tools/version.sh's, as a Debian snapshot version" \
    "$(sed -e 's/-/+/' -e 's/-/./g' <<<"$version")-1" "$(field Version)"
expect "Architecture" "$(dpkg --print-architecture)" "$(field Architecture)"
dynamic=0
for b in pinscope pinscope-workload; do
    readelf -l "$out/$b" 2>/dev/null | grep -q 'Requesting program interpreter' && dynamic=1
done
if [ "$dynamic" -eq 0 ]; then
    expect "Depends: none, the binaries are static" "" "$(field Depends)"
else
    if [ -n "$(field Depends)" ]; then
        ok "Depends of a dynamic build: $(field Depends)"
    else
        bad "a dynamic build without Depends"
    fi
fi
bu=$(field Built-Using)
if grep -q 'libbpf (= ' <<<"$bu" && grep -q 'glibc (= ' <<<"$bu"; then
    ok "Built-Using names the static libraries' sources: $bu"
else
    bad "Built-Using lacks libbpf or glibc: [$bu]"
fi
# The copyright file lists each library copied in, by source package.
expect "copyright lists exactly the Built-Using sources" \
    "$(sed 's/ (= [^)]*)//g; s/, /\n/g' <<<"$bu" | sort)" \
    "$(awk '/^Statically linked libraries/ { on = 1 } on && /^ [a-z]/ { print $1 }' \
           "$dist/copyright" | sort)"
expect "Section, Priority" "admin optional" "$(field Section) $(field Priority)"

# Contents: the make-install set with Debian's paths and compression.
dpkg-deb --fsys-tarfile "$deb" | tar -t | sed -e 's|^\./|/|' | grep -v '/$' | sort >"$tmp/contents"
{
    echo /usr/sbin/pinscope
    echo /usr/bin/pinscope-workload
    for p in "$src"/docs/man/*.scd; do
        p=$(basename "$p" .scd)
        echo "/usr/share/man/man${p##*.}/$p.gz"
    done
    echo /usr/share/bash-completion/completions/pinscope
    echo /usr/share/bash-completion/completions/pinscope-workload
    echo /usr/share/doc/pinscope/README.md
    echo /usr/share/doc/pinscope/json.md
    echo /usr/share/doc/pinscope/copyright
    echo /usr/share/doc/pinscope/changelog.Debian.gz
    echo /usr/share/lintian/overrides/pinscope
    [ ! -f "$dist/pinscope-exporter.service" ] ||
        echo /lib/systemd/system/pinscope-exporter.service
    [ ! -f "$dist/grafana-pinscope.json" ] ||
        echo /usr/share/pinscope/grafana-pinscope.json
    [ ! -f "$src/docs/metrics.md" ] ||
        echo /usr/share/doc/pinscope/metrics.md
} | sort >"$tmp/expected"
expect "the package's files" "$(cat "$tmp/expected")" "$(cat "$tmp/contents")"
dpkg-deb -x "$deb" "$tmp/unpacked"
expect "Installed-Size is what it unpacks to (KiB)" \
    "$(du -sk "$tmp/unpacked" | cut -f1)" "$(field Installed-Size)"

# lintian as Debian runs it; overrides are shown, not counted.
lintian --pedantic -I "$deb" >"$tmp/lintian" 2>/dev/null
errors=$(grep '^E:' "$tmp/lintian")
expect "lintian: no errors" "" "$errors"
warnings=$(grep '^W:' "$tmp/lintian" | grep -vE ": ($(tr ' ' '|' <<<"$LINTIAN_KNOWN_WARNINGS"))( |$)")
expect "lintian: no warnings besides the known ones ($LINTIAN_KNOWN_WARNINGS)" "" "$warnings"
sed 's/^/  lintian: /' "$tmp/lintian"

# An empty dpkg database: nothing to depend on.
r=$tmp/instdir
mkdir -p "$r/var/lib/dpkg/info" "$r/var/lib/dpkg/updates" "$r/var/lib/dpkg/triggers"
: >"$r/var/lib/dpkg/status"
: >"$r/var/lib/dpkg/available"
if dpkg --root="$r" -i "$deb" >"$tmp/dpkg.log" 2>&1; then
    ok "dpkg --root into an empty database installs it"
else
    bad "dpkg --root -i: $(tail -n 2 "$tmp/dpkg.log" | tr '\n' ' ')"
fi
expect "installed (dpkg --root) pinscope --version" "$("$out/pinscope" --version)" \
    "$("$r/usr/sbin/pinscope" --version 2>&1)"
if "$r/usr/sbin/pinscope" features >"$tmp/features" 2>&1 &&
        grep -q '^backend chosen: ' "$tmp/features"; then
    ok "installed (dpkg --root) pinscope features: $(grep '^backend chosen' "$tmp/features")"
else
    bad "installed (dpkg --root) pinscope features: $(tail -n 2 "$tmp/features" | tr '\n' ' ')"
fi
dpkg --root="$r" --purge pinscope >>"$tmp/dpkg.log" 2>&1
expect "dpkg --purge leaves no file outside dpkg's database" "" \
    "$(cd "$r" && find . -path ./var/lib/dpkg -prune -o ! -type d -print)"

# A clean Debian 12.
if ! tree=$(debian_root_cached 2>"$tmp/root.err"); then
    skipped "Debian 12 chroot: $(tail -n 1 "$tmp/root.err")"
else
    chroot_dir=$tmp/chroot
    if ! debian_root_mount "$tree" "$chroot_dir" 2>"$tmp/mount.err"; then
        skipped "Debian 12 chroot: cannot mount it: $(tail -n 1 "$tmp/mount.err")"
    else
        c=$chroot_dir/root
        cp "$deb" "$c/tmp/pinscope.deb"
        if chroot "$c" dpkg -i /tmp/pinscope.deb >"$tmp/chroot.log" 2>&1; then
            ok "Debian 12 chroot ($(cat "$c/etc/debian_version")): dpkg -i installs it"
        else
            bad "Debian 12 chroot: dpkg -i: $(tail -n 2 "$tmp/chroot.log" | tr '\n' ' ')"
        fi
        expect "Debian 12 chroot: dpkg reports it installed" "install ok installed" \
            "$(chroot "$c" dpkg-query -W -f='${Status}' pinscope 2>&1)"
        expect "Debian 12 chroot: pinscope --version" "$("$out/pinscope" --version)" \
            "$(chroot "$c" env PATH=/usr/sbin:/usr/bin:/sbin:/bin pinscope --version 2>&1)"
        if chroot "$c" env PATH=/usr/sbin:/usr/bin:/sbin:/bin pinscope features \
                >"$tmp/features" 2>&1 && grep -q '^backend chosen: ' "$tmp/features"; then
            ok "Debian 12 chroot: pinscope features: $(grep '^backend chosen' "$tmp/features")"
        else
            bad "Debian 12 chroot: pinscope features: $(tail -n 2 "$tmp/features" | tr '\n' ' ')"
        fi
        chroot "$c" dpkg --purge pinscope >>"$tmp/chroot.log" 2>&1
        expect "Debian 12 chroot: purge leaves none of its files" "" \
            "$(while read -r f; do [ ! -e "$c$f" ] || echo "$f"; done <"$tmp/contents")"
    fi
fi

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
