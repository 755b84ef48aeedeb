#!/usr/bin/env bash
# Issue 17's rows: one mmproxy serving 50 listeners from a config file, next to
# 50 go-mmproxy processes (one per port, the only way it serves 50 ports), in
# the benchmark's private network namespace (lib/namespace.sh):
#
#   CPU 0                          CPU 1
#   loadgen ──PROXY v2, ports P..P+49──▶ mmproxy --config (50 listeners)  ──▶ backend
#                                    or  50 × go-mmproxy -l 127.0.0.1:P+i ──▶ backend
#
#   memory    resident set (VmRSS; go-mmproxy: the sum of its processes) once
#             listening, then with BENCH_IDLE_PER_LISTENER idle flows on every
#             listener (each proven by one echo);
#   connrate  new connections/s from 50 slots spread over the 50 listeners
#             (connection i to port P + i mod 50), and the same load on one
#             listener (`mmproxy-1`, `go-mmproxy-1`).
#
# A benchmark, not a test: it exits 0 whatever the figures, non-zero only when
# the harness itself fails. Runs alone (sudo bash scripts/bench/listeners.sh,
# or npm run bench:listeners) in well under a minute.
#
# Settings (environment): BENCH_SECONDS (5), BENCH_LISTENER_COUNT (50),
# BENCH_IDLE_PER_LISTENER (20), BENCH_WORKERS (1: mmproxy's workers and
# go-mmproxy's -listeners), BENCH_CLIENT_CPU (0), BENCH_SERVER_CPU (1),
# BENCH_RPS (server), BENCH_MMPROXY (the mmproxy command).
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
BENCH_REPO=$(cd "$BENCH_DIR/../.." && pwd)
BENCH_BUILD=$BENCH_DIR/build

BENCH_SECONDS=${BENCH_SECONDS:-5}
BENCH_LISTENER_COUNT=${BENCH_LISTENER_COUNT:-50}
BENCH_IDLE_PER_LISTENER=${BENCH_IDLE_PER_LISTENER:-20}
BENCH_WORKERS=${BENCH_WORKERS:-1}
BENCH_CLIENT_CPU=${BENCH_CLIENT_CPU:-0}
BENCH_SERVER_CPU=${BENCH_SERVER_CPU:-1}
BENCH_RPS=${BENCH_RPS:-server}
BENCH_OUT=$BENCH_REPO/bench-results/$(date -u +%Y%m%dT%H%M%SZ)-listeners

# shellcheck source=/dev/null
for lib in log namespace processes build machine workloads; do
  source "$BENCH_DIR/lib/$lib.sh"
done
read -r -a MMPROXY_COMMAND <<<"${BENCH_MMPROXY:-node $BENCH_REPO/bin/mmproxy.js}"

# The backend every listener forwards to; the listeners take ports from 3000
# up, a fresh block per run (below the namespace's ephemeral range, 10000 up).
BACKEND_PORT=2000
NEXT_BLOCK=3000
HARNESS_FAILED=0
# PIDs of the contender now running (one mmproxy, or every go-mmproxy).
PROXY_PIDS=()

cleanup() {
  stop_all_processes
  namespace_delete
}

check_prerequisites() {
  local tool
  if [ "$(id -u)" -ne 0 ]; then
    bench_log "needs root (network namespaces, IP_TRANSPARENT); run: sudo bash scripts/bench/listeners.sh"
    exit 1
  fi
  for tool in ip ss taskset node gcc pgrep go-mmproxy; do
    command -v "$tool" >/dev/null || { bench_log "$tool is missing; run scripts/bootstrap.sh"; exit 1; }
  done
  if [ -z "${BENCH_MMPROXY:-}" ] && [ ! -f "$BENCH_REPO/dist/src/cli/main.js" ]; then
    bench_log "mmproxy is not built; run: npm run build"
    exit 1
  fi
}

# write_config FILE FIRST_PORT COUNT: a config file of COUNT listeners on
# consecutive ports, all forwarding to the backend (docs/config.md).
write_config() {
  local file=$1 first=$2 count=$3 i
  {
    printf 'workers = %d\nverbose = 0\nstats-socket = "%s"\n' "$BENCH_WORKERS" "${file%.toml}.sock"
    for i in $(seq 0 $((count - 1))); do
      printf '\n[[listener]]\nname = "l%d"\nlisten = "127.0.0.1:%d"\n' "$i" $((first + i))
      printf 'target4 = "127.0.0.1:%d"\ntarget6 = "[::1]:%d"\n' "$BACKEND_PORT" "$BACKEND_PORT"
    done
  } >"$file"
}

# start_contender NAME FIRST_PORT BASE: starts it and waits until every port
# listens; fills PROXY_PIDS. Returns 1 when it did not come up.
start_contender() {
  local name=$1 first=$2 base=$3 count=$BENCH_LISTENER_COUNT i
  PROXY_PIDS=()
  case $name in
    mmproxy-1 | mmproxy-"$BENCH_LISTENER_COUNT")
      count=${name#mmproxy-}
      write_config "$base.toml" "$first" "$count"
      start_background "$base.proxy.log" "$base.proxy.log" "$BENCH_SERVER_CPU" \
        "${MMPROXY_COMMAND[@]}" --config "$base.toml"
      PROXY_PIDS+=("$STARTED_PID")
      ;;
    go-mmproxy-1 | go-mmproxy-"$BENCH_LISTENER_COUNT")
      count=${name#go-mmproxy-}
      for i in $(seq 0 $((count - 1))); do
        start_background "$base.proxy.log" "$base.proxy.log" "$BENCH_SERVER_CPU" go-mmproxy \
          -l "127.0.0.1:$((first + i))" -4 "127.0.0.1:$BACKEND_PORT" -6 "[::1]:$BACKEND_PORT" \
          -listeners "$BENCH_WORKERS" -v 0
        PROXY_PIDS+=("$STARTED_PID")
      done
      ;;
  esac
  for i in $(seq 0 $((count - 1))); do
    # Any of the processes will do as the one whose exit ends the wait.
    wait_listening $((first + i)) "${PROXY_PIDS[$((i % ${#PROXY_PIDS[@]}))]}" && continue
    bench_log "$name: port $((first + i)) did not listen within 10 s; its log ends with:"
    tail -n 5 "$base.proxy.log" >&2 || true
    return 1
  done
}

stop_contender() {
  local pid
  for pid in "${PROXY_PIDS[@]+"${PROXY_PIDS[@]}"}"; do stop_process "$pid"; done
  PROXY_PIDS=()
}

# Resident KiB of the contender: the sum over its processes (and children).
contender_rss_kb() {
  local total=0 pid
  for pid in "${PROXY_PIDS[@]}"; do total=$((total + $(process_tree_rss_kb "$pid"))); done
  echo "$total"
}

contender_alive() {
  local pid
  for pid in "${PROXY_PIDS[@]}"; do ours "$pid" || return 1; done
}

# measure_memory NAME FIRST_PORT BASE: RSS listening, then with the idle flows.
measure_memory() {
  local name=$1 first=$2 base=$3 listening idle loadgen_pid flows
  flows=$((BENCH_LISTENER_COUNT * BENCH_IDLE_PER_LISTENER))
  sleep 1
  listening=$(contender_rss_kb)
  start_background "$base.idle.json" "$base.loadgen.log" "$BENCH_CLIENT_CPU" "$BENCH_BUILD/loadgen" idle \
    --conns "$flows" --ports "$BENCH_LISTENER_COUNT" --size 16 --hold 120 --proxy-v2 --target "127.0.0.1:$first"
  loadgen_pid=$STARTED_PID
  # The load generator bounds its own opening to 60 s; poll a bit longer.
  if ! wait_for_line "$base.idle.json" '"mode":"idle"' "$loadgen_pid" 700; then
    stop_process "$loadgen_pid"
    return 1
  fi
  # Let the proxy finish what it does after the last echo (buffers, GC).
  sleep 2
  contender_alive || { stop_process "$loadgen_pid"; return 1; }
  idle=$(contender_rss_kb)
  stop_process "$loadgen_pid"
  printf '{"contender":"%s","processes":%d,"listeners":%d,"idle_flows":%d,"rss_listening_kb":%d,"rss_idle_kb":%d,"idle":%s}\n' \
    "$name" "${#PROXY_PIDS[@]}" "$BENCH_LISTENER_COUNT" "$flows" "$listening" "$idle" \
    "$(head -n 1 "$base.idle.json")" >"$base.memory.json"
}

# measure_connrate NAME FIRST_PORT BASE PORTS: 50 slots over PORTS listeners.
measure_connrate() {
  local name=$1 first=$2 base=$3 ports=$4 status=0
  start_background "$base.connrate.json" "$base.loadgen.log" "$BENCH_CLIENT_CPU" "$BENCH_BUILD/loadgen" connrate \
    --conns 50 --size 64 --seconds "$BENCH_SECONDS" --proxy-v2 --target "127.0.0.1:$first" --ports "$ports"
  wait "$STARTED_PID" || status=$?
  forget_process "$STARTED_PID"
  [ "$status" -eq 0 ] || return 1
  printf '{"contender":"%s","processes":%d,"ports":%d,"connrate":%s}\n' "$name" "${#PROXY_PIDS[@]}" "$ports" \
    "$(head -n 1 "$base.connrate.json")" >"$base.connrate-row.json"
}

# run_one NAME WORKLOAD: a fresh contender for one workload.
run_one() {
  local name=$1 workload=$2 first=$NEXT_BLOCK base="$BENCH_OUT/$1-$2" ports=$BENCH_LISTENER_COUNT
  NEXT_BLOCK=$((NEXT_BLOCK + 100))
  case $name in *-1) ports=1 ;; esac
  bench_log "== $name: $workload"
  if ! start_contender "$name" "$first" "$base"; then
    printf '%s did not start; see %s.proxy.log\n' "$name" "${base#"$BENCH_REPO/"}" >"$base.error"
    stop_contender
    return 0
  fi
  case $workload in
    memory) measure_memory "$name" "$first" "$base" ;;
    connrate) measure_connrate "$name" "$first" "$base" "$ports" ;;
  esac || printf '%s: %s failed: %s\n' "$name" "$workload" "$(tail -n 1 "$base.loadgen.log" 2>/dev/null)" >"$base.error"
  [ -f "$base.error" ] && bench_log "$(cat "$base.error")"
  stop_contender
}

main() {
  local backend_pid
  check_prerequisites
  build_tools
  ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
  mkdir -p "$BENCH_OUT"
  trap cleanup EXIT
  trap 'cleanup; exit 130' INT
  trap 'cleanup; exit 143' TERM
  namespace_create
  # machine.json's settings, in run.sh's names.
  BENCH_ROUNDS=1 BENCH_LISTENERS=$BENCH_WORKERS BENCH_IDLE_CONNS=$((BENCH_LISTENER_COUNT * BENCH_IDLE_PER_LISTENER)) \
    BENCH_CONTENDERS="mmproxy-$BENCH_LISTENER_COUNT go-mmproxy-$BENCH_LISTENER_COUNT mmproxy-1 go-mmproxy-1" \
    BENCH_WORKLOADS="memory connrate" write_machine_json "$BENCH_OUT/machine.json"

  start_background "$BENCH_OUT/backend.log" "$BENCH_OUT/backend.log" "$BENCH_SERVER_CPU" \
    "$BENCH_BUILD/backend" echo --listen "127.0.0.1:$BACKEND_PORT"
  backend_pid=$STARTED_PID
  if ! wait_listening "$BACKEND_PORT" "$backend_pid"; then
    bench_log "harness: the backend did not listen on port $BACKEND_PORT; see $BENCH_OUT/backend.log"
    exit 1
  fi
  run_one "mmproxy-$BENCH_LISTENER_COUNT" memory
  run_one "go-mmproxy-$BENCH_LISTENER_COUNT" memory
  run_one "mmproxy-$BENCH_LISTENER_COUNT" connrate
  run_one mmproxy-1 connrate
  run_one "go-mmproxy-$BENCH_LISTENER_COUNT" connrate
  run_one go-mmproxy-1 connrate

  cleanup
  node "$BENCH_REPO/dist/scripts/bench/listeners-report.js" "$BENCH_OUT"
  [ "$HARNESS_FAILED" -eq 0 ]
}

main "$@"
