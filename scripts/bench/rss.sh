#!/usr/bin/env bash
# Issue 20's row alone: a fresh mmproxy's resident set, listening with no
# connection, next to bare Node's, each the median of 5 interleaved rounds. It
# is run.sh with its rss workload only (same namespace, same measurement:
# measure_fresh_rss in lib/workloads.sh), done in under half a minute. As
# root: sudo bash scripts/bench/rss.sh, or npm run bench:rss.
#
# Settings (environment): BENCH_ROUNDS (5), BENCH_CONTENDERS ("direct
# mmproxy"; add mmproxy-copy and the others to weigh them too), and every
# other setting of run.sh (BENCH_MMPROXY, BENCH_LISTENERS, ...).
set -euo pipefail

export BENCH_WORKLOADS=rss
export BENCH_ROUNDS=${BENCH_ROUNDS:-5}
export BENCH_CONTENDERS=${BENCH_CONTENDERS:-direct mmproxy}
exec bash "$(dirname "$0")/run.sh" "$@"
