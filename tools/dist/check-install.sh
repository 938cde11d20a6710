#!/usr/bin/env bash
# make install / make uninstall into a DESTDIR:
#  - exactly the expected files land, with their modes, under PREFIX=/usr/local;
#  - the installed pinscope prints the same --version as the built one, the
#    installed workload lists its cases, man finds the installed pages;
#  - the exporter's unit and dashboard: installed when the tree has them,
#    with the unit's ExecStart pointing at the installed binary (tried on a
#    copy of the install rule with stand-in files while the tree lacks them);
#  - uninstall leaves no file or link, and none of pinscope's directories.
# Prints "ok"/"FAIL" lines and "N passed, N failed, 0 skipped" last.
# Usage: tools/dist/check-install.sh OUTPUT_DIR   (after `make all man`)
set -uo pipefail
out=$(cd "${1:?usage: tools/dist/check-install.sh OUTPUT_DIR}" && pwd)
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
pass=0 fail=0
ok() { echo "ok   $*"; pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }
expect() {
    if [ "$2" = "$3" ]; then ok "$1"; else
        bad "$1: expected [$(echo "$2" | tr '\n' ' ')] got [$(echo "$3" | tr '\n' ' ')]"
    fi
}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pinscope-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# What PREFIX=/usr/local must hold, "MODE PATH" (l = symlink), sorted.
expected_files() {
    local tree=$1 p
    {
        echo "755 /usr/local/sbin/pinscope"
        echo "755 /usr/local/bin/pinscope-workload"
        for p in "$tree"/docs/man/*.scd; do
            p=$(basename "$p" .scd)
            echo "644 /usr/local/share/man/man${p##*.}/$p"
        done
        echo "644 /usr/local/share/bash-completion/completions/pinscope"
        echo "l /usr/local/share/bash-completion/completions/pinscope-workload"
        echo "644 /usr/local/share/doc/pinscope/README.md"
        echo "644 /usr/local/share/doc/pinscope/json.md"
        [ ! -f "$tree/tools/dist/pinscope-exporter.service" ] ||
            echo "644 /usr/local/lib/systemd/system/pinscope-exporter.service"
        [ ! -f "$tree/tools/dist/grafana-pinscope.json" ] ||
            echo "644 /usr/local/share/pinscope/grafana-pinscope.json"
        [ ! -f "$tree/docs/metrics.md" ] ||
            echo "644 /usr/local/share/doc/pinscope/metrics.md"
    } | sort -k2
}

# "MODE PATH" of every file and link under $1, paths relative to it.
listing() {
    (cd "$1" && find . \( -type f -printf '%m /%P\n' \) -o \( -type l -printf 'l /%P\n' \)) |
        sort -k2
}

# The unit's Exec lines (and commented examples of them) must name the
# installed binary, and systemd must accept the unit: systemd-analyze
# verify, with the staged binary's path, as it checks that it exists.
check_unit() {
    local unit=$1 what=$2 root=$3 exec log
    exec=$(grep -E '^#?[[:space:]]*Exec[A-Za-z]*=[^ ]*/pinscope( |$)' "$unit" |
           grep -vE '=[-@:+!]*/usr/local/sbin/pinscope( |$)' || true)
    if grep -qE '^ExecStart=.*/usr/local/sbin/pinscope exporter' "$unit" && [ -z "$exec" ]; then
        ok "$what: ExecStart runs /usr/local/sbin/pinscope exporter"
    else
        bad "$what: Exec lines not pointing at /usr/local/sbin/pinscope: $(echo "$exec" | tr '\n' ' ')"
    fi
    command -v systemd-analyze >/dev/null || return 0
    sed "s#/usr/local/sbin/pinscope#$root/usr/local/sbin/pinscope#" "$unit" >"$tmp/$(basename "$unit")"
    if log=$(systemd-analyze verify --man=no "$tmp/$(basename "$unit")" 2>&1) && [ -z "$log" ]; then
        ok "$what: systemd-analyze verify accepts it"
    else
        bad "$what: systemd-analyze verify: $(echo "$log" | tr '\n' ' ')"
    fi
}

dest=$tmp/root
make -s -C "$src" OUTPUT="$out" install DESTDIR="$dest" PREFIX=/usr/local >"$tmp/install.log" 2>&1 ||
    { bad "make install failed: $(tail -n 3 "$tmp/install.log" | tr '\n' ' ')"; }
expect "make install PREFIX=/usr/local: the expected files and modes" \
    "$(expected_files "$src")" "$(listing "$dest")"
expect "installed pinscope --version is the built one's" \
    "$("$out/pinscope" --version)" "$("$dest/usr/local/sbin/pinscope" --version 2>&1)"
expect "installed pinscope-workload -l lists the cases" \
    "$("$out/pinscope-workload" -l)" "$("$dest/usr/local/bin/pinscope-workload" -l 2>&1)"
expect "completion link points at the pinscope script" "pinscope" \
    "$(readlink "$dest/usr/local/share/bash-completion/completions/pinscope-workload")"
if MANWIDTH=80 LC_ALL=C man -M "$dest/usr/local/share/man" pinscope-stat 2>/dev/null |
        grep -q '^NAME'; then
    ok "man -M finds the installed pinscope-stat(8)"
else
    bad "man -M $dest/usr/local/share/man pinscope-stat found nothing"
fi
if [ -f "$src/tools/dist/pinscope-exporter.service" ]; then
    check_unit "$dest/usr/local/lib/systemd/system/pinscope-exporter.service" "installed unit" "$dest"
fi

make -s -C "$src" OUTPUT="$out" uninstall DESTDIR="$dest" PREFIX=/usr/local >"$tmp/uninstall.log" 2>&1 ||
    bad "make uninstall failed: $(tail -n 3 "$tmp/uninstall.log" | tr '\n' ' ')"
expect "make uninstall leaves no file or link" "" "$(listing "$dest")"
left=$(cd "$dest" && find . -path '*pinscope*')
expect "make uninstall leaves none of pinscope's directories" "" "$left"

# The exporter's files, as they will land: a copy of the install rule in a
# tree that has stand-ins for them (the real files are covered above once
# they are in the tree).
fake=$tmp/tree
mkdir -p "$fake/tools/dist" "$fake/docs/man"
cp "$src/tools/dist/install.sh" "$src/tools/dist/pinscope.bash-completion" "$fake/tools/dist/"
cp "$src"/docs/man/*.scd "$fake/docs/man/"
cp "$src/README.md" "$fake/"
cp "$src/docs/json.md" "$fake/docs/"
printf '# example:\n#   ExecStart=/usr/bin/pinscope exporter --textfile /x\n[Unit]\nDescription=stand-in\n[Service]\nExecStartPre=-/usr/sbin/pinscope features\nExecStart=/usr/sbin/pinscope exporter --listen 127.0.0.1:9477\n' \
    >"$fake/tools/dist/pinscope-exporter.service"
echo '{"title": "stand-in"}' >"$fake/tools/dist/grafana-pinscope.json"
echo '# stand-in metrics' >"$fake/docs/metrics.md"
dest=$tmp/root2
DESTDIR=$dest PREFIX=/usr/local "$fake/tools/dist/install.sh" install "$out" >"$tmp/fake.log" 2>&1 ||
    bad "install.sh with the exporter's files failed: $(tail -n 3 "$tmp/fake.log" | tr '\n' ' ')"
expect "with the exporter's files: the expected files and modes" \
    "$(expected_files "$fake")" "$(listing "$dest")"
check_unit "$dest/usr/local/lib/systemd/system/pinscope-exporter.service" "stand-in unit" "$dest"
expect "the dashboard is installed unchanged" "$(cat "$fake/tools/dist/grafana-pinscope.json")" \
    "$(cat "$dest/usr/local/share/pinscope/grafana-pinscope.json" 2>&1)"
# uninstall needs no build output
DESTDIR=$dest PREFIX=/usr/local "$fake/tools/dist/install.sh" uninstall "$tmp/no-output" \
    >>"$tmp/fake.log" 2>&1
expect "with the exporter's files: uninstall (no build output) leaves no file or link" "" \
    "$(listing "$dest")"
expect "with the exporter's files: uninstall leaves none of pinscope's directories" "" \
    "$(cd "$dest" && find . -path '*pinscope*')"

echo "$pass passed, $fail failed, 0 skipped"
[ "$fail" -eq 0 ]
