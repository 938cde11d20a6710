#!/bin/sh
# Prints pinscope's version. In a git checkout: `git describe` of the newest
# release tag (v0.1.0 -> 0.1.0, or 0.1.0-12-gabcdef123456 twelve commits
# later, -dirty with uncommitted changes). A checkout without a release tag
# yet gives VERSION's number with the same suffix, counted from the first
# commit. Outside git (a source tarball, see `make dist`) VERSION alone.
# Usage: tools/version.sh [SOURCE_DIR]
set -eu
cd "${1:-$(dirname "$0")/..}"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1 &&
   [ "$(git rev-parse --show-toplevel)" = "$(pwd -P)" ]; then
    if desc=$(git describe --tags --match 'v[0-9]*' --dirty --abbrev=12 2>/dev/null); then
        echo "${desc#v}"
        exit 0
    fi
    hash=$(git describe --always --dirty --abbrev=12)
    echo "$(cat VERSION)-$(git rev-list --count HEAD)-g$hash"
    exit 0
fi
cat VERSION
