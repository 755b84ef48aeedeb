#!/usr/bin/env bash
# Speed and memory of mmproxy next to go-mmproxy and a direct connection, in
# one run, inside a private network namespace (nothing leaves its loopback):
#
#   CPU 0                       CPU 1 (the "app host", and lo's receive work: RPS)
#   loadgen ──PROXY v2──▶ go-mmproxy | mmproxy ──spoofed 198.51.100.x──▶ backend
#   loadgen ─────────────────── direct ─────────────────────────────────▶ backend
#
# The backend's replies to 198.51.100.x go back to the proxy over lo thanks to
# the namespace's policy routing (table 123). Workloads: a fresh process's
# memory, small messages over 50 connections, bulk over 4, new connections/s
# over 50 slots, a backend that stops reading (memory held per flow), memory
# per idle connection. A benchmark, not a test: it exits 0 whatever the
# figures, non-zero only when the harness itself fails.
#
# Settings (environment): BENCH_SECONDS (5), BENCH_ROUNDS (1; the report
# shows each figure's median over the rounds), BENCH_IDLE_CONNS (10000),
# BENCH_LISTENERS (1), BENCH_CLIENT_CPU (0), BENCH_SERVER_CPU (1),
# BENCH_RPS (server: lo's receive work on the server CPU; off),
# BENCH_CONTENDERS ("direct go-mmproxy mmproxy mmproxy-copy mmproxy-splice
# mmproxy-fast"), BENCH_WORKLOADS ("rss pingpong bulk connrate stall idle"),
# BENCH_MMPROXY (the mmproxy command; default: node bin/mmproxy.js of this
# checkout).
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
BENCH_REPO=$(cd "$BENCH_DIR/../.." && pwd)
BENCH_BUILD=$BENCH_DIR/build

BENCH_SECONDS=${BENCH_SECONDS:-5}
BENCH_ROUNDS=${BENCH_ROUNDS:-1}
BENCH_IDLE_CONNS=${BENCH_IDLE_CONNS:-10000}
BENCH_LISTENERS=${BENCH_LISTENERS:-1}
BENCH_CLIENT_CPU=${BENCH_CLIENT_CPU:-0}
BENCH_SERVER_CPU=${BENCH_SERVER_CPU:-1}
BENCH_RPS=${BENCH_RPS:-server}
BENCH_CONTENDERS=${BENCH_CONTENDERS:-direct go-mmproxy mmproxy mmproxy-copy mmproxy-splice mmproxy-fast}
BENCH_WORKLOADS=${BENCH_WORKLOADS:-rss pingpong bulk connrate stall idle}
BENCH_OUT=$BENCH_REPO/bench-results/$(date -u +%Y%m%dT%H%M%SZ)

# shellcheck source=/dev/null
for lib in log namespace processes build contenders workloads machine; do
  source "$BENCH_DIR/lib/$lib.sh"
done

cleanup() {
  stop_all_processes
  namespace_delete
}

check_prerequisites() {
  local tool
  if [ "$(id -u)" -ne 0 ]; then
    bench_log "needs root (network namespaces, IP_TRANSPARENT); run: sudo npm run bench"
    exit 1
  fi
  for tool in ip ss taskset node gcc pgrep; do
    command -v "$tool" >/dev/null || { bench_log "$tool is missing; run scripts/bootstrap.sh"; exit 1; }
  done
  if [ ! -f "$BENCH_REPO/dist/scripts/bench/report.js" ]; then
    bench_log "the report is not compiled; run: npm run build:ts"
    exit 1
  fi
}

# Descriptors one idle connection costs the proxy, at worst: go-mmproxy
# keeps a splice pipe (2 fds) per direction besides the two sockets, even
# when idle. Children inherit the limit. Headroom: listeners, epoll, logs.
FDS_PER_IDLE_CONN=6
FD_HEADROOM=512

raise_fd_limit() {
  local wanted=$((BENCH_IDLE_CONNS * FDS_PER_IDLE_CONN + FD_HEADROOM)) hard fitting
  [ "$wanted" -lt 65536 ] && wanted=65536
  ulimit -n "$wanted" 2>/dev/null && return 0
  # Raising the hard limit needs CAP_SYS_RESOURCE, which containers often drop.
  hard=$(ulimit -Hn)
  ulimit -n "$hard"
  fitting=$(((hard - FD_HEADROOM) / FDS_PER_IDLE_CONN / 100 * 100))
  if [ "$fitting" -lt "$BENCH_IDLE_CONNS" ]; then
    bench_log "the open-file limit is capped at $hard here (no CAP_SYS_RESOURCE to raise it), and" \
      "go-mmproxy needs $FDS_PER_IDLE_CONN per idle connection: measuring $fitting idle connections" \
      "instead of $BENCH_IDLE_CONNS"
    BENCH_IDLE_CONNS=$fitting
  fi
}

main() {
  local contender workload reason round available=()
  check_prerequisites
  build_tools
  raise_fd_limit
  mkdir -p "$BENCH_OUT"
  trap cleanup EXIT
  trap 'cleanup; exit 130' INT
  trap 'cleanup; exit 143' TERM
  namespace_create
  write_machine_json "$BENCH_OUT/machine.json"

  for contender in $BENCH_CONTENDERS; do
    reason=$(contender_skip_reason "$contender")
    if [ -n "$reason" ]; then
      bench_log "skipping $contender: $reason"
      printf '%s\n' "$reason" >"$BENCH_OUT/$contender.skipped"
    else
      available+=("$contender")
    fi
  done
  # Rounds interleave the contenders, so a burst of load from elsewhere on
  # the machine lands on all of them rather than on one.
  for round in $(seq 1 "$BENCH_ROUNDS"); do
    for workload in $BENCH_WORKLOADS; do
      for contender in "${available[@]+"${available[@]}"}"; do
        run_workload "$contender" "$workload" "$round"
      done
    done
  done

  cleanup
  node "$BENCH_REPO/dist/scripts/bench/report.js" "$BENCH_OUT"
  if [ "$BENCH_HARNESS_FAILED" -ne 0 ]; then
    bench_log "the harness itself failed (a backend did not start, or a direct run failed); see $BENCH_OUT"
    exit 1
  fi
}

main "$@"
