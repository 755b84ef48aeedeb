#!/usr/bin/env bash
# Builds the native addon with AddressSanitizer and UndefinedBehaviorSanitizer
# in a scratch copy (the normal build/ stays untouched) and runs the data plane
# namespace tests against it. Node itself is not instrumented, so libasan is
# preloaded into the test driver that hosts the data plane
# (MMPROXY_DRIVER_LD_PRELOAD), which loads the sanitized addon through
# MMPROXY_NATIVE.
# Exits non-zero when a test fails or a sanitizer wrote a report.
# Needs root (namespace tests), g++ and a built checkout (bash scripts/bootstrap.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'asan-dataplane: %s\n' "$*"; }

work=$(mktemp -d "${TMPDIR:-/tmp}/mmproxy-asan.XXXXXX")
trap 'rm -rf "$work"' EXIT
reports="$work/reports"
mkdir -p "$reports"

log "building a sanitized addon in $work"
cp -r binding.gyp package.json native "$work/"
ln -s "$PWD/node_modules" "$work/node_modules"
# `-- -D…` reaches gyp itself; a plain --sanitize option would only land in
# config.gypi, which the target's own `sanitize%` default shadows.
(cd "$work" && npx --no-install node-gyp configure -- -Dsanitize=address,undefined &&
  npx --no-install node-gyp build --jobs=2) >"$work/build.log" 2>&1 || {
  tail -30 "$work/build.log"
  exit 1
}
addon="$work/build/Release/mmproxy_native.node"
# No grep -q: with pipefail, nm dying of SIGPIPE would fail the check.
nm -D "$addon" | grep __asan_init >/dev/null || { log "the addon was built without ASan"; exit 1; }

npm run --silent build:ts
libasan=$(g++ -print-file-name=libasan.so)
libubsan=$(g++ -print-file-name=libubsan.so)

# The loader must pick the sanitized addon, or the run proves nothing.
MMPROXY_NATIVE="$addon" LD_PRELOAD="$libasan:$libubsan" ASAN_OPTIONS=detect_leaks=0 node --input-type=module -e "
  const { native } = await import('./dist/src/native/addon.js');
  native();
  const maps = (await import('node:fs')).readFileSync('/proc/self/maps', 'utf8');
  if (!maps.includes('$addon')) { console.error('the sanitized addon was not loaded'); process.exit(1); }
"

# Leak checking stays off: Node (not instrumented) keeps allocations alive at
# exit that LeakSanitizer would report as ours. The tests' descriptor counts
# cover what the data plane must release.
log "running the data plane tests with $libasan"
status=0
MMPROXY_NATIVE="$addon" \
  MMPROXY_DRIVER_LD_PRELOAD="$libasan:$libubsan" \
  ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:log_path=$reports/asan" \
  UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$reports/ubsan" \
  npx mocha 'dist/test/netns/dataplane*.test.js' || status=$?

if compgen -G "$reports/*" >/dev/null; then
  log "sanitizer reports:"
  cat "$reports"/*
  exit 1
fi
[ "$status" -eq 0 ] || { log "tests failed (exit $status)"; exit "$status"; }
log "no sanitizer reports; all data plane tests passed"
