#!/usr/bin/env bash
# `make dist`: a source tarball of the committed tree (HEAD) whose VERSION
# holds the full version, so that a build outside git stamps the same
# version (tools/version.sh reads VERSION there). Prints its path.
# Usage: tools/dist/mkdist.sh OUTPUT_DIR
set -euo pipefail
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
out=$(cd "${1:?usage: tools/dist/mkdist.sh OUTPUT_DIR}" && pwd)

git -C "$src" rev-parse --git-dir >/dev/null 2>&1 || {
    echo "mkdist: not a git checkout: the tarball is made from git" >&2
    exit 2
}
# the tarball holds HEAD, not uncommitted changes
version=$("$src/tools/version.sh")
version=${version%-dirty}
[ -z "$(git -C "$src" status --porcelain --untracked-files=no)" ] ||
    echo "mkdist: uncommitted changes are not in the tarball (HEAD is)" >&2
name=pinscope-$version
work=$(mktemp -d "$out/dist.XXXXXX")
trap 'rm -rf "$work"' EXIT
git -C "$src" archive --format=tar --prefix="$name/" HEAD | tar -x -C "$work"
echo "$version" >"$work/$name/VERSION"
epoch=$(git -C "$src" log -1 --format=%ct)
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$epoch" \
    -C "$work" -cf - "$name" | gzip -9n >"$out/$name.tar.gz"
echo "$out/$name.tar.gz"
