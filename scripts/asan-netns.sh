#!/usr/bin/env bash
# Runs the namespace suite (dist/test/netns/**/*.test.js, but for the suites at
# not_sanitized, which add no native code) with the native addon built under
# AddressSanitizer and UndefinedBehaviorSanitizer.
#
# The addon is built in a scratch copy (build/ stays untouched). Node itself is
# not instrumented, so the sanitizer runtimes must be loaded first into every
# process that loads the addon: mocha, the data plane driver and every mmproxy
# CLI the tests spawn. LD_PRELOAD cannot do that for the whole tree: it would
# reach `ip` too, whose print_route calls strncpy on overlapping buffers, which
# ASan aborts. So the run uses a copy of node that names the runtimes as its
# first libraries (patchelf --add-needed): mocha runs on it, and every node the
# tests start runs on it too, since they start process.execPath (or `node` from
# PATH, which the copy heads), while HAProxy, go-mmproxy and iproute2 do not
# see the sanitizers. MMPROXY_NATIVE makes every loader pick the sanitized addon.
#
# Exits non-zero when a test fails, a sanitizer wrote a report, or a process of
# the run mapped an addon other than the sanitized one.
# Needs root (namespace tests), g++, patchelf and a built checkout (bash scripts/bootstrap.sh).
# Extra arguments go to mocha (e.g. a --grep), after the test files.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'asan-netns: %s\n' "$*"; }

work=$(mktemp -d "${TMPDIR:-/tmp}/mmproxy-asan.XXXXXX")
trap 'rm -rf "$work"' EXIT
reports="$work/reports"
loads="$work/addon-loads"
mkdir -p "$reports"
: >"$loads"
# Some suites run the CLI as an unprivileged user (test/netns/hardening/privilege):
# it must be able to run the node copy, load the addon and leave a report.
chmod 755 "$work"
chmod 1777 "$reports"

build_sanitized_addon() {
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
  # No grep -q: with pipefail, nm dying of SIGPIPE would fail the check.
  nm -D "$addon" | grep __asan_init >/dev/null || { log "the addon was built without ASan"; exit 1; }
}

# True when pid $1 is $2 or one of its descendants (the run's own processes,
# not those of other runs on the same machine).
descends_from() {
  local pid=$1 root=$2 depth
  for ((depth = 0; depth < 64; depth++)); do
    [ "$pid" = "$root" ] && return 0
    [ "$pid" -le 1 ] && return 1
    pid=$(awk '/^PPid:/ { print $2 }' "/proc/$pid/status" 2>/dev/null) || return 1
    [ -n "$pid" ] || return 1
  done
  return 1
}

# Records, until $1 exits, every process of the run that has an addon mapped:
# "pid addon-path command line". Sampling misses processes that live less than
# a poll, but it sees the long-lived ones (proxies, drivers, mocha itself).
record_addon_loads() {
  local root=$1 maps pid path
  while kill -0 "$root" 2>/dev/null; do
    for maps in $(grep -l 'mmproxy_native[^/]*\.node' /proc/[0-9]*/maps 2>/dev/null); do
      pid=${maps#/proc/}
      pid=${pid%/maps}
      grep -q "^$pid " "$loads" && continue
      descends_from "$pid" "$root" || continue
      path=$(grep -o '/[^ ]*mmproxy_native[^/ ]*\.node' "$maps" 2>/dev/null | head -1) || continue
      printf '%s %s %s\n' "$pid" "$path" "$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | cut -c1-160)" >>"$loads"
    done
    sleep 0.5
  done
}

# Prints the processes that loaded the addon, grouped by what they ran; fails
# when one of them mapped another build than the sanitized one.
check_addon_loads() {
  local foreign
  grep -qF " $addon " "$loads" || { log "no process of the run was seen with the sanitized addon"; return 1; }
  log "processes seen with the sanitized addon mapped (count, command):"
  grep -F " $addon " "$loads" | awk '{ $1 = ""; $2 = ""; print }' |
    sed -E "s#$PWD/##g; s#^ +##; s#(mmproxy\.js [a-z-]+|\.js).*#\1#" | sort | uniq -c | sort -rn
  foreign=$(grep -vF " $addon " "$loads" || true)
  if [ -n "$foreign" ]; then
    log "processes of the run loaded another addon than the sanitized one:"
    printf '%s\n' "$foreign"
    return 1
  fi
}

# A copy of node that loads the sanitizer runtimes the addon links against
# before anything else, as ASan requires.
make_sanitized_node() {
  local runtimes index
  command -v patchelf >/dev/null || { log "patchelf is missing: apt-get install patchelf (bootstrap.sh installs it)"; exit 1; }
  mapfile -t runtimes < <(readelf -d "$addon" | grep -o '\[lib[a-z]*san\.so[.0-9]*\]' | tr -d '[]')
  [ "${#runtimes[@]}" -gt 0 ] || { log "the addon links no sanitizer runtime"; exit 1; }
  mkdir -p "$work/bin"
  cp "$(command -v node)" "$node"
  # Each --add-needed goes to the front of the list: the last given comes first.
  for ((index = ${#runtimes[@]} - 1; index >= 0; index--)); do
    patchelf --add-needed "${runtimes[index]}" "$node"
  done
  log "node copy $node loads first: ${runtimes[*]}"
}

addon="$work/build/Release/mmproxy_native.node"
node="$work/bin/node"
build_sanitized_addon
make_sanitized_node
npm run --silent build:ts

# Sanitized node processes start about 3 to 4 times slower (0.4 s of CPU instead
# of 0.1 s; a doctor run 5 to 10 s instead of 2.5 to 3 s), so the tests' hang
# guards stretch by this factor (lab/time-scale.ts).
time_scale=${MMPROXY_TEST_TIME_SCALE:-3}

# Everything the run starts inherits these; only the copy of node acts on the
# sanitizer options. Leak checking stays off: Node (not instrumented) keeps
# allocations alive at exit that LeakSanitizer would report as ours; the tests'
# descriptor counts cover what the data plane must release. log_exe_name puts
# the program's name beside the pid in each report's name.
# UBSan writes its own text to stderr only: with GCC its runtime sits beside
# ASan's, whose __sanitizer_set_report_path wins the symbol lookup, so UBSan's
# log_path lands in ASan (the next report file is named ubsan.*). UBSan
# therefore aborts, and ASan reports that abort, with the stack through the
# __ubsan_handle_* call to the offending line, in a file (handle_abort).
# The churn's leak check ran at full count in the plain run (npm test); here it
# exercises the same path for memory errors, and 20,000 connections do that
# without the sanitizers' slowdown eating CI's time.
sanitized_env=(
  MMPROXY_NATIVE="$addon"
  MMPROXY_CHURN="${MMPROXY_CHURN:-20000}"
  MMPROXY_TEST_TIME_SCALE="$time_scale"
  PATH="$work/bin:$PATH"
  ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:abort_on_error=1:handle_abort=1:log_exe_name=1:log_path=$reports/asan"
  UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1:log_exe_name=1:log_path=$reports/ubsan"
)

# The loader must pick the sanitized addon, or the run proves nothing.
env "${sanitized_env[@]}" "$node" --input-type=module -e "
  const { native } = await import('./dist/src/native/addon.js');
  native();
  const maps = (await import('node:fs')).readFileSync('/proc/self/maps', 'utf8');
  if (!maps.includes('$addon')) { console.error('the sanitized addon was not loaded'); process.exit(1); }
"

# Suites that run no native code the others do not already drive, left out of this
# second pass to keep CI within its time (they all ran in the plain pass, npm test):
# packaging (npm pack/install, the systemd unit's files), the container filesystem
# and the simulated kubelet (the same proxy started from other paths), the demo and
# the lab's own plumbing, and the doctor's speed (its figures mean nothing 3x slower).
not_sanitized=(
  'dist/test/netns/package/**'
  'dist/test/netns/deploy/**'
  'dist/test/netns/demo/**'
  'dist/test/netns/lab/**'
  'dist/test/netns/doctor/speed.test.js'
)
ignores=()
for suite in "${not_sanitized[@]}"; do ignores+=(--ignore "$suite"); done

log "running the namespace tests on the sanitized node and addon (not: ${not_sanitized[*]})"
started=$SECONDS
env "${sanitized_env[@]}" "$node" node_modules/mocha/bin/mocha.js \
  --require dist/test/netns/support/scaled-timeouts.js 'dist/test/netns/**/*.test.js' "${ignores[@]}" "$@" &
mocha=$!
record_addon_loads "$mocha" &
recorder=$!
status=0
wait "$mocha" || status=$?
wait "$recorder"
log "the suite took $((SECONDS - started)) s"

failed=0
check_addon_loads || failed=1
if compgen -G "$reports/*" >/dev/null; then
  log "sanitizer reports:"
  for report in "$reports"/*; do
    printf '==> %s <==\n' "${report##*/}"
    cat "$report"
  done
  failed=1
fi
[ "$status" -eq 0 ] || { log "tests failed (mocha exit $status)"; failed=1; }
[ "$failed" -eq 0 ] || exit 1
log "no sanitizer reports; every sanitized namespace test passed"
