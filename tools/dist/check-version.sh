#!/usr/bin/env bash
# pinscope --version against the facts it reports:
#  - line 1 is "pinscope " + tools/version.sh's version; -V and `version`
#    print the same three lines, exit 0;
#  - line 2 names the libbpf and json-c of the packages it was linked with;
#  - line 3 says static exactly when the ELF has no interpreter;
#  - tools/version.sh outside git prints VERSION (a copy of the script in a
#    bare directory), and `make dist`'s tarball carries the full version.
# Prints "ok"/"FAIL" lines and "N passed, N failed, 0 skipped" last.
# Usage: tools/dist/check-version.sh OUTPUT_DIR
set -uo pipefail
out=$(cd "${1:?usage: tools/dist/check-version.sh OUTPUT_DIR}" && pwd)
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
pass=0 fail=0
ok() { echo "ok   $*"; pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }
expect() {
    if [ "$2" = "$3" ]; then ok "$1: $(echo "$3" | tr '\n' ' ')"; else
        bad "$1: expected [$(echo "$2" | tr '\n' ' ')] got [$(echo "$3" | tr '\n' ' ')]"
    fi
}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pinscope-version.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

v=$("$out/pinscope" --version); rc=$?
expect "--version exits 0 with three lines" "0 3" "$rc $(wc -l <<<"$v")"
expect "line 1: the version tools/version.sh gives this tree" \
    "pinscope $("$src/tools/version.sh")" "$(sed -n 1p <<<"$v")"
expect "-V prints the same" "$v" "$("$out/pinscope" -V)"
expect "'version' prints the same" "$v" "$("$out/pinscope" version)"
# upstream major.minor of the -dev packages linked in (epoch and revision off)
libbpf=$(dpkg-query -W -f='${Version}' libbpf-dev | sed -E 's/^[0-9]+://; s/^([0-9]+\.[0-9]+).*/\1/')
jsonc=$(dpkg-query -W -f='${Version}' libjson-c-dev | sed -E 's/^[0-9]+://; s/-[^-]*$//')
expect "line 2: libbpf and json-c of the linked packages" \
    "libbpf $libbpf, json-c $jsonc" "$(sed -n 2p <<<"$v")"
if readelf -l "$out/pinscope" | grep -q 'Requesting program interpreter'; then link=dynamic; else link=static; fi
expect "line 3: linkage as the ELF says ($link), backends" \
    "build: $link, x86_64, backends fentry kprobe tracepoint" \
    "$(sed -n 3p <<<"$v" | cut -d, -f1-3)"
expect "--version needs no privileges (run without capabilities)" "$v" \
    "$(setpriv --inh-caps=-all --bounding-set=-all "$out/pinscope" --version 2>&1)"

# Outside git: VERSION.
mkdir -p "$tmp/bare/tools"
cp "$src/tools/version.sh" "$tmp/bare/tools/"
echo 9.8.7 >"$tmp/bare/VERSION"
expect "tools/version.sh outside git prints VERSION" "9.8.7" "$("$tmp/bare/tools/version.sh")"

# make dist: the tarball's VERSION is HEAD's full version.
tarball=$(make -s -C "$src" OUTPUT="$out" dist 2>/dev/null | tail -n 1)
if [ -f "$tarball" ]; then
    tar -xzf "$tarball" -C "$tmp"
    dir=$tmp/$(basename "$tarball" .tar.gz)
    want=$("$src/tools/version.sh"); want=${want%-dirty}
    expect "make dist: the tarball's tools/version.sh (no git) prints HEAD's version" \
        "$want" "$("$dir/tools/version.sh" 2>&1)"
    rm -f "$tarball"
else
    bad "make dist made no tarball"
fi

echo "$pass passed, $fail failed, 0 skipped"
[ "$fail" -eq 0 ]
