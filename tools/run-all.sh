#!/usr/bin/env bash
# `make run`: the main job. pinscope stat (with histograms) over every
# bundled workload case, one traced run, the per-ring report on stdout.
set -euo pipefail
out=${1:-.output}
base=${PINSCOPE_TMPDIR:-/var/tmp}
dir=$(mktemp -d "$base/pinscope-run.XXXXXX")
trap 'rm -rf "$dir"' EXIT

if [ "$(id -u)" -ne 0 ]; then
    echo "run-all: pinscope loads BPF programs: run 'make run' as root" >&2
    exit 2
fi
echo "# pinscope stat -H -- pinscope-workload -a  (workload oracles: $dir/oracles.jsonl)"
"$out/pinscope" stat -H -- "$out/pinscope-workload" -a -d "$dir" -o "$dir/oracles.jsonl"
