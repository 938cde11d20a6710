#!/usr/bin/env bash
# `make install` and `make uninstall`: one list of what goes where, so that
# uninstall removes exactly what install put in place.
# Usage: tools/dist/install.sh install|uninstall|list OUTPUT_DIR
# Environment (the usual GNU names; make passes its variables through):
#   DESTDIR         staging root (packages), default none
#   PREFIX          default /usr/local
#   SBINDIR         pinscope, default PREFIX/sbin: it needs CAP_BPF and
#                   CAP_PERFMON (or root), like bpftool
#   BINDIR          pinscope-workload, default PREFIX/bin: a plain program
#                   users run by name (`pinscope check -- pinscope-workload
#                   CASE`), most cases unprivileged
#   MANDIR DATADIR DOCDIR BASHCOMPDIR SYSTEMDUNITDIR
# The exporter's unit, Grafana dashboard and metric list
# (tools/dist/pinscope-exporter.service, tools/dist/grafana-pinscope.json,
# docs/metrics.md) are installed when the tree has them; uninstall removes
# them whether or not it does.
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
if [ $# -ne 2 ]; then
    echo "usage: tools/dist/install.sh install|uninstall|list OUTPUT_DIR" >&2
    exit 2
fi
action=$1
# uninstall needs no build, so OUTPUT_DIR may be gone
out=$(cd "$2" 2>/dev/null && pwd || echo "$2")

PREFIX=${PREFIX:-/usr/local}
SBINDIR=${SBINDIR:-$PREFIX/sbin}
BINDIR=${BINDIR:-$PREFIX/bin}
DATADIR=${DATADIR:-$PREFIX/share}
MANDIR=${MANDIR:-$DATADIR/man}
DOCDIR=${DOCDIR:-$DATADIR/doc/pinscope}
BASHCOMPDIR=${BASHCOMPDIR:-$DATADIR/bash-completion/completions}
# systemd also reads units under /usr/local/lib/systemd/system
SYSTEMDUNITDIR=${SYSTEMDUNITDIR:-$PREFIX/lib/systemd/system}
DESTDIR=${DESTDIR:-}

# "MODE SOURCE DESTINATION" per file; a SOURCE that does not exist is
# skipped by install (the exporter's files before they land) but still
# removed by uninstall.
manifest() {
    local page sec
    echo "0755 $out/pinscope $SBINDIR/pinscope"
    echo "0755 $out/pinscope-workload $BINDIR/pinscope-workload"
    for page in "$src"/docs/man/*.scd; do
        page=$(basename "$page" .scd)
        sec=${page##*.}
        echo "0644 $out/man/$page $MANDIR/man$sec/$page"
    done
    echo "0644 $src/tools/dist/pinscope.bash-completion $BASHCOMPDIR/pinscope"
    # bash-completion loads a file by the command's name: one script, two names
    echo "link pinscope $BASHCOMPDIR/pinscope-workload"
    echo "0644 $src/tools/dist/pinscope-exporter.service $SYSTEMDUNITDIR/pinscope-exporter.service"
    echo "0644 $src/tools/dist/grafana-pinscope.json $DATADIR/pinscope/grafana-pinscope.json"
    echo "0644 $src/README.md $DOCDIR/README.md"
    echo "0644 $src/docs/json.md $DOCDIR/json.md"
    echo "0644 $src/docs/metrics.md $DOCDIR/metrics.md"
}

# Directories of pinscope's own, removed by uninstall once empty.
own_dirs() {
    echo "$DATADIR/pinscope"
    echo "$DOCDIR"
}

case $action in
list)
    manifest | awk '{ print $3 }'
    ;;
install)
    manifest | while read -r mode from to; do
        if [ "$mode" = link ]; then
            mkdir -p "$DESTDIR$(dirname "$to")"
            ln -sfn "$from" "$DESTDIR$to"
            echo "  LINK     $DESTDIR$to -> $from"
            continue
        fi
        if [ ! -e "$from" ]; then
            case $from in
                */tools/dist/pinscope-exporter.service|*/tools/dist/grafana-pinscope.json|*/docs/metrics.md)
                    continue ;;
            esac
            echo "install: $from is missing (run make first)" >&2
            exit 2
        fi
        install -D -m "$mode" "$from" "$DESTDIR$to"
        # The unit names the binary by its installed path (in its Exec
        # lines and in the commented examples of them).
        case $to in
            *.service) sed -i -E "s#^(\#?[[:space:]]*Exec[A-Za-z]*=[-@:+!]*)[^ ]*/pinscope( |\$)#\\1$SBINDIR/pinscope\\2#" \
                           "$DESTDIR$to" ;;
        esac
        echo "  INSTALL  $DESTDIR$to"
    done
    ;;
uninstall)
    manifest | while read -r _ _ to; do
        if [ -e "$DESTDIR$to" ] || [ -L "$DESTDIR$to" ]; then
            rm -f "$DESTDIR$to"
            echo "  REMOVE   $DESTDIR$to"
        fi
    done
    own_dirs | while read -r dir; do
        [ ! -d "$DESTDIR$dir" ] || rmdir --ignore-fail-on-non-empty "$DESTDIR$dir"
    done
    ;;
*)
    echo "usage: tools/dist/install.sh install|uninstall|list OUTPUT_DIR" >&2
    exit 2
    ;;
esac
