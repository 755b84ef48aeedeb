#!/usr/bin/env bash
# Builds the load generator and the backend into OUT_DIR (default: the
# benchmark's own build dir), for tests that drive mmproxy with them:
#   bash scripts/bench/build-tools.sh /tmp/somewhere
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
BENCH_BUILD=${1:-$BENCH_DIR/build}
# shellcheck source=/dev/null
source "$BENCH_DIR/lib/log.sh"
# shellcheck source=/dev/null
source "$BENCH_DIR/lib/build.sh"
build_tools
