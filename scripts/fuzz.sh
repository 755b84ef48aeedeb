#!/usr/bin/env bash
# Builds the PROXY header parser's libFuzzer target with ASan and UBSan and
# runs it for a bounded time: FUZZ_SECONDS (default 60).
#
# Exit status: 0 when the run found nothing; 1 on any finding (crash, leak,
# sanitizer report, broken invariant, timeout) or build failure; 77 when clang
# or the libFuzzer runtime is missing (tests report that as a skip).
# Findings are written to .fuzz/artifacts/ with the command that replays them.
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZ_SECONDS=${FUZZ_SECONDS:-60}
WORK=.fuzz
# Binary and log per run, so two runs at once (a test and a developer) do not
# clobber each other; the corpus and the findings are shared.
RUN=$WORK/run-$$
BINARY=$RUN/proxy_header_fuzz
LOG=$RUN/fuzz.log
SEEDS=native/fuzz/corpus
CXX=${FUZZ_CXX:-clang++}
# A v2 header is at most 65551 bytes (16 + a 16-bit length); the limit lets
# inputs reach that size and a few bytes of payload past it, so the largest
# headers and the longest TLV chains (the max-size seeds) are fuzzed, not cut.
MAX_LEN=65600
SANITIZE=(-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all)

log() { printf 'fuzz: %s\n' "$*" >&2; }

if ! command -v "$CXX" >/dev/null; then
  log "$CXX not found; install clang and libclang-rt-14-dev (bash scripts/bootstrap.sh does)"
  exit 77
fi
mkdir -p "$WORK/corpus" "$WORK/artifacts" "$RUN"
trap 'rm -rf "$RUN"' EXIT
probe=$RUN/probe.cc
printf 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }\n' >"$probe"
if ! "$CXX" "${SANITIZE[@]}" "$probe" -o "$RUN/probe" 2>"$RUN/probe.log"; then
  log "$CXX cannot link libFuzzer ($(head -c 300 "$RUN/probe.log")); install libclang-rt-14-dev"
  exit 77
fi

mapfile -t sources < <(find native/src/proxy_header -name '*.cc' ! -name binding.cc | sort)
log "building $BINARY"
"$CXX" -std=c++17 -O1 -g -fno-omit-frame-pointer "${SANITIZE[@]}" -Inative/src \
  native/fuzz/proxy_header_fuzz.cc "${sources[@]}" -o "$BINARY"

log "running for ${FUZZ_SECONDS}s (seeds: $SEEDS, working corpus: $WORK/corpus)"
status=0
"$BINARY" "$WORK/corpus" "$SEEDS" \
  -max_total_time="$FUZZ_SECONDS" -max_len="$MAX_LEN" -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix="$WORK/artifacts/" -print_final_stats=1 >"$LOG" 2>&1 || status=$?

grep -aE '^#[0-9]+[[:space:]]+(INITED|DONE)' "$LOG" | tail -n 2 >&2 || true
grep -aE '^stat::' "$LOG" >&2 || true
grep -aE '^INFO: seed corpus:' "$LOG" | tail -n 1 >&2 || true
grep -aE '^reach: ' "$LOG" | tail -n 1 >&2 || true
if [ "$status" -ne 0 ]; then
  tail -n 40 "$LOG" >&2
  cp "$BINARY" "$WORK/proxy_header_fuzz"
  log "FINDING (exit $status); replay with: $WORK/proxy_header_fuzz $WORK/artifacts/<file>"
  exit 1
fi
log "clean: nothing found in ${FUZZ_SECONDS}s"
