#!/usr/bin/env bash
# The bash completion (tools/dist/pinscope.bash-completion), driven as bash
# drives it: COMP_WORDS/COMP_CWORD/COMP_LINE/COMP_POINT set, the function
# called, COMPREPLY compared with what the binaries say.
# Prints "ok"/"FAIL" lines and "N passed, N failed, N skipped" last.
# Usage: tools/dist/check-completion.sh OUTPUT_DIR [COMPLETION_FILE]
set -uo pipefail
out=$(cd "${1:?usage: tools/dist/check-completion.sh OUTPUT_DIR [FILE]}" && pwd)
comp=${2:-$(dirname "${BASH_SOURCE[0]}")/pinscope.bash-completion}
pass=0 fail=0 skip=0
ok() { echo "ok   $*"; pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }

if [ ! -r /usr/share/bash-completion/bash_completion ]; then
    echo "SKIP bash-completion is not installed"
    echo "0 passed, 0 failed, 1 skipped"
    exit 0
fi
# bash_completion reads some unset variables; not our business
set +u
# shellcheck disable=SC1091
. /usr/share/bash-completion/bash_completion
. "$comp"
set -u
export PATH="$out:$PATH"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pinscope-comp.XXXXXX")
holder="" control=""
trap 'kill $holder $control 2>/dev/null; rm -rf "$tmp"' EXIT

# complete WORD...: the words of the command line, the last one being
# completed; prints COMPREPLY sorted, one per line.
complete_line() {
    local fn
    COMP_WORDS=("$@")
    COMP_CWORD=$(($# - 1))
    COMP_LINE="$*"
    COMP_POINT=${#COMP_LINE}
    COMPREPLY=()
    fn=$(complete -p "$1" 2>/dev/null | sed -n 's/.*-F \([^ ]*\) .*/\1/p')
    # outside a real completion compopt complains; the reply is unchanged
    "$fn" "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}" 2>/dev/null
    printf '%s\n' "${COMPREPLY[@]+"${COMPREPLY[@]}"}" | sort -u
}

# expect NAME EXPECTED ACTUAL: exact equality of two sorted lists
expect() {
    if [ "$2" = "$3" ]; then
        ok "$1: $(echo "$3" | tr '\n' ' ')"
    else
        bad "$1: expected [$(echo "$2" | tr '\n' ' ')] got [$(echo "$3" | tr '\n' ' ')]"
    fi
}

subcommands=$(pinscope --help | awk '/^Subcommands:/ { on = 1; next }
    on && /^$/ { exit } on { print $1 }')
expect "pinscope <Tab>: the subcommands of --help, help, version" \
    "$( (echo "$subcommands"; echo help; echo version) | sort)" \
    "$(complete_line pinscope "")"
expect "pinscope st<Tab>" "stat" "$(complete_line pinscope st)"
expect "pinscope -<Tab>" "$(printf -- '--help\n--version\n-V\n-h\n' | sort)" \
    "$(complete_line pinscope -)"

# Every option of a subcommand's --help, no more.
for sc in $subcommands; do
    expected=$(pinscope "$sc" --help | tr ' ,|[]()=' '\n' |
               grep -E '^(-[A-Za-z]|--[a-z][a-z0-9-]+)$' | grep -vx -- '-V\|--version' | sort -u)
    expect "pinscope $sc -<Tab>: the options of its --help" "$expected" \
        "$(complete_line pinscope "$sc" -)"
done
expect "pinscope stat --reg<Tab>" "--registration-only" \
    "$(complete_line pinscope stat --reg)"
expect "pinscope stat -b <Tab>" "$(printf 'auto\nfentry\nkprobe\ntracepoint\n')" \
    "$(complete_line pinscope stat -b "")"
expect "pinscope trace --backend k<Tab>" "kprobe" \
    "$(complete_line pinscope trace --backend k)"
expect "pinscope check --rings-from <Tab>" "$(printf 'auto\nbpf\nfdinfo\n')" \
    "$(complete_line pinscope check --rings-from "")"
expect "pinscope stat -j <Tab> (no argument: nothing)" "" \
    "$(complete_line pinscope stat -j "")"

# -p: a process holding an io_uring fd is offered, one without is not.
# perl (Essential in Debian) makes the ring with the raw io_uring_setup(2)
# call (425 on every architecture) and waits.
perl -e '$p = "\0" x 120; $fd = syscall(425, 4, $p); exit 3 if $fd < 0;
         open(F, ">", $ARGV[0]); print F "$fd\n"; close F; sleep 120' "$tmp/ringfd" &
holder=$!
# the control holds an anon_inode fd of another kind: tail -f uses inotify
: >"$tmp/ctl"
tail -f "$tmp/ctl" &
control=$!
for _ in $(seq 50); do [ -s "$tmp/ringfd" ] && break; sleep 0.1; done
if [ ! -s "$tmp/ringfd" ]; then
    echo "SKIP -p: io_uring_setup failed here (io_uring_disabled?)"
    skip=$((skip + 1))
else
    ringfd=$(cat "$tmp/ringfd")
    link=$(readlink "/proc/$holder/fd/$ringfd")
    pids=$(complete_line pinscope stat -p "")
    if [ "$link" = "anon_inode:[io_uring]" ] && grep -qx "$holder" <<<"$pids"; then
        ok "pinscope stat -p <Tab> lists $holder, whose fd $ringfd is $link"
    else
        bad "pinscope stat -p <Tab> lacks $holder (fd $ringfd: $link): [$(echo $pids)]"
    fi
    if grep -qx "$control" <<<"$pids"; then
        bad "pinscope stat -p <Tab> lists $control, which holds no io_uring fd"
    else
        ok "pinscope stat -p <Tab> leaves out $control (tail -f: $(ls -l "/proc/$control/fd" |
            grep -o 'anon_inode:[^ ]*' | sort -u | tr '\n' ' ')no io_uring fd)"
    fi
    # (other processes may open and close rings meanwhile: judge ours only)
    narrowed=$(complete_line pinscope stat --pid "${holder:0:2}")
    if grep -qx "$holder" <<<"$narrowed" && ! grep -qv "^${holder:0:2}" <<<"$narrowed"; then
        ok "pinscope stat --pid ${holder:0:2}<Tab> narrows by prefix, keeps $holder"
    else
        bad "pinscope stat --pid ${holder:0:2}<Tab>: [$(echo $narrowed)]"
    fi
fi

# Files and directories by the help's placeholders.
mkdir "$tmp/dir-a" && touch "$tmp/file-a"
cd "$tmp" || exit 1
expect "pinscope stat -o fi<Tab> (FILE)" "file-a" "$(complete_line pinscope stat -o fi)"
expect "pinscope-workload -d <Tab> (DIR: directories only)" "dir-a" \
    "$(complete_line pinscope-workload -d "")"
expect "pinscope exporter --textfile <Tab> (DIR)" "dir-a" \
    "$(complete_line pinscope exporter --textfile "")"
cd - >/dev/null || exit 1

# After "--": a command.
expect "pinscope check -- pinscope-wo<Tab>" "pinscope-workload" \
    "$(complete_line pinscope check -- pinscope-wo)"

expect "pinscope-workload <Tab>: the cases of -l" \
    "$(pinscope-workload -l | awk '{ print $1 }' | sort)" \
    "$(complete_line pinscope-workload "")"
expect "pinscope-workload -<Tab>: the options of its -h" \
    "$(pinscope-workload -h | grep -oE '^ +-[A-Za-z]' | tr -d ' ' | sort -u)" \
    "$(complete_line pinscope-workload -)"

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
