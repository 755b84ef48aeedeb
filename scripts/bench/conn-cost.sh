#!/usr/bin/env bash
# What one short connection costs mmproxy: CPU and system calls per connection
# over a burst of N (default 20,000) connections of the connrate workload
# (connect, PROXY v2 header + 64 bytes, echo, close), in the benchmark's
# namespace, with its CPU placement:
#
#   CPU 0                    CPU 1
#   loadgen ──PROXY v2──▶ mmproxy ──from 198.51.100.x──▶ backend (echo)
#
#   bash scripts/bench/conn-cost.sh [N] [ROUNDS]      (as root)
#
# Each round starts a fresh namespace (no TIME_WAIT left by the last round's
# connections, which would leave the load generator short of ports), backend
# and proxy, warms them with 2,000
# connections, then prints the proxy's CPU time (utime + stime from
# /proc/PID/stat, every thread, the kernel's TCP work done in its system
# calls included) divided by N, and its two parts: user is mmproxy's own
# code, kernel is the system calls and the TCP work done in them. The last round runs under `strace -c -f`
# and prints system calls per connection (strace slows the proxy: its CPU
# figure is left out). The TCP segments of one connection, as the
# namespace's TcpOutSegs counts them (both legs, every socket), come last.
# BENCH_MMPROXY sets the mmproxy command, as for run.sh.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
BENCH_REPO=$(cd "$BENCH_DIR/../.." && pwd)
BENCH_BUILD=$BENCH_DIR/build
BENCH_CLIENT_CPU=${BENCH_CLIENT_CPU:-0}
BENCH_SERVER_CPU=${BENCH_SERVER_CPU:-1}
BENCH_RPS=${BENCH_RPS:-server}
BENCH_LISTENERS=1
CONNECTIONS=${1:-20000}
ROUNDS=${2:-5}
# Enough connections for the proxy's first allocations and lazy paths.
WARMUP_CONNECTIONS=2000
BACKEND_PORT=2000
LISTEN_PORT=2001

# shellcheck source=/dev/null
for lib in log namespace processes build contenders; do
  source "$BENCH_DIR/lib/$lib.sh"
done

cleanup() {
  stop_all_processes
  namespace_delete
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$(id -u)" -eq 0 ] || { bench_log "needs root (network namespaces, IP_TRANSPARENT)"; exit 1; }
command -v strace >/dev/null || { bench_log "strace is missing (apt-get install strace)"; exit 1; }
build_tools
OUT=$(mktemp -d)

# burst COUNT FIRST_CLIENT: COUNT connections through the proxy, 50 at a time.
burst() {
  in_namespace taskset -c "$BENCH_CLIENT_CPU" "$BENCH_BUILD/loadgen" connrate --conns 50 --size 64 \
    --target "127.0.0.1:$LISTEN_PORT" --proxy-v2 --count "$1" --first-client "$2" --seconds 120 >"$OUT/loadgen.json"
}

# TCP segments sent in the namespace so far (every socket, both legs).
segments_sent() {
  in_namespace awk '$1 == "Tcp:" && $2 ~ /^[0-9]+$/ {print $12}' /proc/net/snmp
}

# cpu_ticks PID: "utime stime" of every thread of PID, in clock ticks.
cpu_ticks() {
  awk '{print $14, $15}' "/proc/$1/stat"
}

for round in $(seq 1 "$ROUNDS"); do
  namespace_create
  start_background "$OUT/backend.log" "$OUT/backend.log" "$BENCH_SERVER_CPU" "$BENCH_BUILD/backend" echo \
    --listen "127.0.0.1:$BACKEND_PORT"
  backend_pid=$STARTED_PID
  contender_start mmproxy "$LISTEN_PORT" "$BACKEND_PORT" "$OUT/proxy.log"
  proxy_pid=$CONTENDER_PID
  # A new client range for the burst: no 4-tuple of the warm-up is in TIME_WAIT.
  burst "$WARMUP_CONNECTIONS" 0
  if [ "$round" -eq "$ROUNDS" ]; then
    strace -c -f -o "$OUT/strace.txt" -p "$proxy_pid" 2>/dev/null &
    strace_pid=$!
    sleep 1  # attached to every thread
  fi
  segments_before=$(segments_sent)
  before=$(cpu_ticks "$proxy_pid")
  burst "$CONNECTIONS" "$WARMUP_CONNECTIONS"
  after=$(cpu_ticks "$proxy_pid")
  segments=$(($(segments_sent) - segments_before))
  rate=$(grep -o '"conns_per_s":[0-9.]*' "$OUT/loadgen.json" | cut -d: -f2)
  if [ "$round" -eq "$ROUNDS" ]; then
    kill -INT "$strace_pid"
    wait "$strace_pid" || true
    awk -v n="$CONNECTIONS" '$NF == "total" {printf "round %d (strace): %.1f system calls per connection\n", r, $(NF-2) / n}' \
      r="$round" "$OUT/strace.txt"
    awk -v n="$CONNECTIONS" '$1 ~ /^[0-9.]+$/ && $NF != "total" && $4 / n >= 0.5 {printf "  %-12s %.2f\n", $NF, $4 / n}' \
      "$OUT/strace.txt"
  else
    read -r user_before system_before <<<"$before"
    read -r user_after system_after <<<"$after"
    awk -v u=$((user_after - user_before)) -v k=$((system_after - system_before)) -v hz="$(getconf CLK_TCK)" \
      -v n="$CONNECTIONS" -v r="$round" -v rate="$rate" -v segs="$segments" \
      'BEGIN {us = 1e6 / hz / n; printf "round %d: %.1f µs CPU per connection (user %.1f, kernel %.1f), %s conn/s, %.1f TCP segments per connection\n", r, (u + k) * us, u * us, k * us, rate, segs / n}'
  fi
  stop_process "$proxy_pid"
  stop_process "$backend_pid"
  namespace_delete
done
rm -rf "$OUT"
