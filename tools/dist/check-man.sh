#!/usr/bin/env bash
# The man pages against the binaries, so the two cannot drift apart:
#  - every subcommand in `pinscope --help` has its page pinscope-CMD(8), and
#    every such page a subcommand;
#  - pinscope(8)'s OPTIONS are the options `pinscope --help` shows (-h too);
#  - `pinscope CMD --help` lists exactly the options CMD's parser takes
#    (asked of it: `pinscope CMD OPT -h`), and pinscope-CMD(8)'s OPTIONS
#    are the same;
#  - pinscope-workload(1)'s are those of `pinscope-workload -h`;
#  - `MANWIDTH=80 man --warnings -l` renders every page without a warning,
#    and no word is hyphenated across lines.
# Prints "ok"/"FAIL" lines and "N passed, N failed, 0 skipped" last.
# Usage: tools/dist/check-man.sh OUTPUT_DIR   (after `make all man`)
set -uo pipefail
out=${1:?usage: tools/dist/check-man.sh OUTPUT_DIR}
ps=$out/pinscope
pass=0 fail=0
ok() { echo "ok   $*"; pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }

# Option names (-x, --long) anywhere in a help text; "--" alone is not one.
help_opts() {
    tr ' ,|[]()=' '\n' | grep -E '^(-[A-Za-z]|--[a-z][a-z0-9-]+)$' | sort -u
}

# The option names a rendered page defines in its OPTIONS section: the
# term lines, indented like section text, that start with a dash.
man_opts() {
    MANWIDTH=200 LC_ALL=C man -l "$1" 2>/dev/null | awk '
        /^[A-Z]/ { in_opts = ($0 == "OPTIONS") ; next }
        in_opts && /^       -/ { print }' |
        tr ' ,|' '\n' | grep -E '^(-[A-Za-z]|--[a-z][a-z0-9-]+)$' | sort -u
}

# Does subcommand $1 accept option $2? Its parser answers "unknown option"
# (on stderr, or as JSON on stdout when -j is among the words)
# for one it does not take; a placeholder value ("1") satisfies the parse of
# any option with an argument, and -h ends the parse before anything runs.
accepts() {
    local sc=$1 opt=$2 err
    case $opt in
        --*) err=$("$ps" "$sc" "$opt=1" -h 2>&1) || true
             # an option without argument refuses "=1" as unknown too
             if grep -qE 'unknown option|does not apply' <<<"$err"; then
                 err=$("$ps" "$sc" "$opt" -h 2>&1) || true
             fi ;;
        *)   err=$("$ps" "$sc" "$opt" 1 -h 2>&1) || true ;;
    esac
    ! grep -qE 'unknown option|does not apply' <<<"$err"
}

# compare NAME EXPECTED_LIST ACTUAL_LIST [NOUN]
compare() {
    local name=$1 noun=${4:-options} missing extra
    missing=$(comm -23 <(echo "$2") <(echo "$3") | tr '\n' ' ')
    extra=$(comm -13 <(echo "$2") <(echo "$3") | tr '\n' ' ')
    if [ -z "${missing// /}" ] && [ -z "${extra// /}" ]; then
        ok "$name: $(echo "$3" | wc -l) $noun agree"
    else
        bad "$name: missing from the page: ${missing:-none}; on the page only: ${extra:-none}"
    fi
}

top_help=$("$ps" --help)
subcommands=$(awk '/^Subcommands:/ { on = 1; next } on && /^$/ { exit }
                   on { print $1 }' <<<"$top_help" | sort)
[ -n "$subcommands" ] || bad "no subcommands found in pinscope --help"

# the pages the tree has (a stale build output may hold others)
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
pages=$(cd "$src/docs/man" && ls pinscope-*.8.scd 2>/dev/null | sed 's/^pinscope-//; s/\.8\.scd$//' | sort)
compare "subcommands with a page (pinscope --help vs pinscope-*.8)" \
    "$subcommands" "$pages" subcommands

# pinscope(8): the help's options plus -h/--help, which the help leaves out
compare "pinscope(8)" \
    "$( (help_opts <<<"$top_help"; printf -- '-h\n--help\n') | sort -u)" \
    "$(man_opts "$out/man/pinscope.8")"

# Every option any help names; what each subcommand takes of them.
universe=$( (help_opts <<<"$top_help"; printf -- '-h\n--help\n') | grep -vx -- '-V\|--version' | sort -u)
for sc in $subcommands; do
    accepted=$(for o in $universe; do accepts "$sc" "$o" && echo "$o"; done | sort -u)
    # (-V/--version are in every help's usage line, for the top level)
    compare "pinscope $sc --help lists what its parser takes" "$accepted" \
        "$( ("$ps" "$sc" --help | help_opts | grep -vx -- '-V\|--version'; printf -- '-h\n--help\n') | sort -u)"
    # the same text as the top-level help less the blocks (an option's line
    # and the lines indented under it) of the options it refuses
    want=$(awk -v acc=" $(echo $accepted) " '
        /^  -/ { o = $1; sub(/,$/, "", o); if (o == "--") o = "-p"
                 keep = index(acc, " " o " ") > 0; if (keep) print; next }
        /^   / { if (keep) print; next }
        { keep = 1; print }' <<<"$top_help")
    if [ "$want" = "$("$ps" "$sc" --help)" ]; then
        ok "pinscope $sc --help is the top-level help less the options it refuses"
    else
        bad "pinscope $sc --help differs from the top-level help less refused options:" \
            "$(diff <(echo "$want") <("$ps" "$sc" --help) | tr '\n' ' ')"
    fi
    page=$out/man/pinscope-$sc.8
    [ -f "$page" ] || continue
    compare "pinscope-$sc(8)" "$accepted" "$(man_opts "$page")"
done

compare "pinscope-workload(1)" \
    "$( ("$out/pinscope-workload" -h | help_opts; echo -h) | sort -u)" \
    "$(man_opts "$out/man/pinscope-workload.1")"

for page in $(cd "$src/docs/man" && ls ./*.scd | sed "s|^\./\(.*\)\.scd$|$out/man/\1|"); do
    warn=$(MANWIDTH=80 LC_ALL=C.UTF-8 man --warnings -l "$page" 2>&1 >/dev/null)
    # words cut by hyphenation (U+2010 at a line's end) read badly: io_ur-ing
    broken=$(MANWIDTH=80 LC_ALL=C.UTF-8 man -l "$page" 2>/dev/null | grep -c $'\u2010$')
    [ "$broken" -eq 0 ] || warn="$warn $broken words hyphenated across lines"
    if [ -z "$warn" ]; then
        ok "man --warnings $(basename "$page"): clean"
    else
        bad "man --warnings $(basename "$page"): $warn"
    fi
done

echo "$pass passed, $fail failed, 0 skipped"
[ "$fail" -eq 0 ]
