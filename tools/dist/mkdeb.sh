#!/usr/bin/env bash
# `make deb`: a binary Debian package of what `make` built, with Debian's
# own tools (dpkg-shlibdeps, dpkg-deb). Prints the .deb's path last.
# Usage: tools/dist/mkdeb.sh OUTPUT_DIR
# Environment:
#   PS_LDLIBS        the link's -l flags (make passes them) for Built-Using
#   DEBFULLNAME, DEBEMAIL   the maintainer (default: the last commit's author)
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
out=$(cd "${1:?usage: tools/dist/mkdeb.sh OUTPUT_DIR}" && pwd)
dist=$src/tools/dist

version=$("$src/tools/version.sh")
# 0.1.0-43-gabcdef-dirty (git describe) -> 0.1.0+43.gabcdef.dirty: a
# snapshot after 0.1.0 sorts after it. Revision 1: the first packaging.
upstream=$(sed -e 's/-/+/' -e 's/-/./g' <<<"$version")
debver=$upstream-1
arch=$(dpkg --print-architecture)
epoch=$(git -C "$src" log -1 --format=%ct 2>/dev/null || stat -c %Y "$src/VERSION")
export SOURCE_DATE_EPOCH=$epoch
maint="${DEBFULLNAME:-$(git -C "$src" log -1 --format=%an 2>/dev/null || echo pinscope maintainers)}"
maint="$maint <${DEBEMAIL:-$(git -C "$src" log -1 --format=%ae 2>/dev/null || echo pinscope@invalid)}>"

work=$out/deb
root=$work/pinscope_${debver}_$arch
# one package at a time here: the last one built
rm -rf "$work"/pinscope_*
mkdir -p "$root/DEBIAN"

# Debian's paths: /usr, units in /lib/systemd/system (bookworm's place).
DESTDIR=$root PREFIX=/usr SYSTEMDUNITDIR=/lib/systemd/system \
    "$dist/install.sh" install "$out" >/dev/null
strip --remove-section=.comment --remove-section=.note \
    "$root/usr/sbin/pinscope" "$root/usr/bin/pinscope-workload"
gzip -9n "$root"/usr/share/man/man*/*
doc=$root/usr/share/doc/pinscope
install -m 0644 "$dist/copyright" "$doc/copyright"
install -D -m 0644 "$dist/lintian-overrides" "$root/usr/share/lintian/overrides/pinscope"
{
    echo "pinscope ($debver) unstable; urgency=medium"
    echo
    echo "  * Upstream snapshot $version, packaged by make deb."
    echo
    echo " -- $maint  $(date -R -u -d "@$epoch")"
} | gzip -9n >"$doc/changelog.Debian.gz"

# Dependencies: dpkg-shlibdeps reads the binaries' DT_NEEDED. The static
# build needs no shared library, so it finds none; a dynamic build (LDLIBS
# without -static) gets its libraries here.
shlibs=$work/shlibs
rm -rf "$shlibs" && mkdir -p "$shlibs/debian"
printf 'Source: pinscope\n\nPackage: pinscope\nArchitecture: any\n' >"$shlibs/debian/control"
depends=$(cd "$shlibs" && dpkg-shlibdeps -O --warnings=0 \
              "$root/usr/sbin/pinscope" "$root/usr/bin/pinscope-workload" 2>/dev/null |
          sed -n 's/^shlibs:Depends=//p')

# Built-Using: the source packages of the static libraries linked in, as
# Debian requires for (L)GPL code copied into a binary.
built_using=$(
    for l in $(tr ' ' '\n' <<<"${PS_LDLIBS:--lbpf -lelf -lz -lzstd -ljson-c -luring} -lc" |
               sed -n 's/^-l//p' | sort -u); do
        a=$(gcc -print-file-name="lib$l.a")
        [ -f "$a" ] || continue
        pkg=$(dpkg -S "$(readlink -f "$a")" 2>/dev/null | cut -d: -f1) || continue
        dpkg-query -W -f='${source:Package} (= ${source:Version})\n' "$pkg"
    done | sort -u | paste -sd, | sed 's/,/, /g')

find "$root" -type d -exec chmod 0755 {} +
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' |
     sort -z | xargs -0 md5sum) >"$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/md5sums"
{
    echo "Package: pinscope"
    echo "Version: $debver"
    echo "Architecture: $arch"
    echo "Maintainer: $maint"
    echo "Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)"
    [ -z "$depends" ] || echo "Depends: $depends"
    [ -z "$built_using" ] || echo "Built-Using: $built_using"
    echo "Section: admin"
    echo "Priority: optional"
    cat "$dist/description"
} >"$root/DEBIAN/control"
chmod 0644 "$root/DEBIAN/control"

deb=$work/pinscope_${debver}_$arch.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
