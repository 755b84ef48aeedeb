#!/usr/bin/env bash
# `npm pack` and `npm publish` run this first (the prepack script). The package
# ships compiled JavaScript and the addon prebuilt for this platform, where
# node-gyp-build looks for it (prebuilds/<platform>-<arch>/, tagged napi and
# glibc): `npm install -g mmproxy` then compiles nothing, and its install script
# (node-gyp-build) builds from the shipped sources only where the prebuilt does
# not load (another architecture, musl, a glibc older than the build machine's).
# Each part is rebuilt only when its sources are newer; the commit is recorded
# every time.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib/stale.sh
source scripts/lib/stale.sh

log() { printf 'prepack: %s\n' "$*" >&2; }

addon=build/Release/mmproxy_native.node
if stale "$addon" native/src binding.gyp; then
  log "building the native addon"
  # To stderr: `npm pack --json` prints its JSON on stdout, and make would mix into it.
  npm run --silent build:native >&2
fi
# build/ only ever holds a plain build (scripts/asan-netns.sh builds in a scratch
# copy), but a sanitized addon must never ship: it needs runtimes users lack.
if readelf -d "$addon" | grep -E 'NEEDED.*lib(a|ub|t|l|m)san'; then
  log "$addon is a sanitizer build; rebuild it with: npm run build:native"
  exit 1
fi
if [ -e /etc/alpine-release ]; then libc=musl; else libc=glibc; fi
platform=$(node -p 'process.platform + "-" + process.arch')
rm -rf prebuilds
mkdir -p "prebuilds/$platform"
strip --strip-all -o "prebuilds/$platform/mmproxy.napi.$libc.node" "$addon"
log "prebuilt addon: prebuilds/$platform/mmproxy.napi.$libc.node"

if stale dist/src/build-info.json src tsconfig.json tsconfig.build.json package.json; then
  log "compiling TypeScript (src/)"
  rm -rf dist/src
  npx --no-install tsc -p tsconfig.build.json >&2
fi
bash scripts/build-info.sh
log "commit recorded: $(cat dist/src/build-info.json)"
