#!/usr/bin/env bash
# Records the commit this build comes from in dist/src/build-info.json, which
# `mmproxy --version`, the build_info metric, the stats snapshot and
# `doctor --json` read (src/base/package-info.ts). Run after each TypeScript
# build and at pack time: an installed package has no git to ask. Outside a git
# checkout (a build from an unpacked tarball) the commit is recorded as null.
set -euo pipefail
cd "$(dirname "$0")/.."
commit=null
if hash=$(git rev-parse --short=12 HEAD 2>/dev/null); then
  # Tracked files changed since that commit: the build is not exactly it.
  [ -z "$(git status --porcelain --untracked-files=no 2>/dev/null)" ] || hash="$hash-dirty"
  commit="\"$hash\""
fi
mkdir -p dist/src
printf '{ "commit": %s }\n' "$commit" >dist/src/build-info.json
