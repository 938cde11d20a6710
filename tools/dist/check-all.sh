#!/usr/bin/env bash
# The packaging stage of `make test`: --version, man pages against --help,
# bash completion, make install/uninstall, make deb (lintian, installed into
# an empty dpkg root and into a clean Debian 12 chroot). Each part prints
# ok/FAIL/SKIP lines; the last line sums them: "N passed, N failed, N skipped".
# Usage: tools/dist/check-all.sh OUTPUT_DIR   (after `make`)
set -uo pipefail
dist=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=$(cd "${1:?usage: tools/dist/check-all.sh OUTPUT_DIR}" && pwd)
pass=0 fail=0 skip=0

# all: the version stamp follows the tree (a commit since the last build)
if ! make -s -C "$dist/../.." OUTPUT="$out" all man; then
    echo "FAIL make all man"
    echo "0 passed, 1 failed, 0 skipped"
    exit 1
fi
for part in version man completion install deb; do
    start=$(date +%s)
    echo "--- packaging: $part"
    bash "$dist/check-$part.sh" "$out" | tee "$out/check-$part.log"
    rc=${PIPESTATUS[0]}
    last=$(tail -n 1 "$out/check-$part.log")
    if [[ $last =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed,\ ([0-9]+)\ skipped$ ]]; then
        pass=$((pass + BASH_REMATCH[1]))
        fail=$((fail + BASH_REMATCH[2]))
        skip=$((skip + BASH_REMATCH[3]))
        [ "$rc" -eq 0 ] || [ "${BASH_REMATCH[2]}" -gt 0 ] || fail=$((fail + 1))
    else
        echo "FAIL check-$part.sh ended without a count (exit $rc)"
        fail=$((fail + 1))
    fi
    echo "--- packaging: $part took $(($(date +%s) - start)) s"
    rm -f "$out/check-$part.log"
done
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
