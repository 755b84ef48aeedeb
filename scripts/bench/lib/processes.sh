# Background processes the runner starts: recorded by PID as they start, and
# ended by PID only (never by name: other people's processes share this host).

BENCH_PIDS=()

# start_background OUT ERR CPU COMMAND... : runs COMMAND inside the
# namespace, pinned to CPU, stdout to OUT and stderr to ERR; sets STARTED_PID.
# `ip netns exec` and taskset exec in place, so the PID is the command's own
# (its RSS is what we read).
start_background() {
  local out=$1 err=$2 cpu=$3
  shift 3
  bench_log "+ [cpu $cpu] $*"
  ip netns exec "$BENCH_NS" taskset -c "$cpu" "$@" >"$out" 2>"$err" &
  STARTED_PID=$!
  BENCH_PIDS+=("$STARTED_PID")
}

# Drops a reaped PID from the list, so cleanup can never signal whatever
# process the kernel gives that number to next.
forget_process() {
  local pid=$1 kept=() other
  for other in "${BENCH_PIDS[@]+"${BENCH_PIDS[@]}"}"; do
    [ "$other" = "$pid" ] || kept+=("$other")
  done
  BENCH_PIDS=("${kept[@]+"${kept[@]}"}")
}

# True while PID is a process inside our namespace: bash may already have
# reaped a child that exited on its own, and its number may belong to
# someone else's process by now.
ours() {
  [ "$(ip netns identify "$1" 2>/dev/null)" = "$BENCH_NS" ]
}

# Sends SIGTERM, waits up to 3 s, then SIGKILL; reaps the process.
stop_process() {
  local pid=$1 attempt
  if ours "$pid" && kill -TERM "$pid" 2>/dev/null; then
    for attempt in $(seq 1 30); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    ours "$pid" && kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
  forget_process "$pid"
}

stop_all_processes() {
  local pid
  for pid in "${BENCH_PIDS[@]+"${BENCH_PIDS[@]}"}"; do
    stop_process "$pid"
  done
}

# Resident set size in KiB of PID and all its descendants.
process_tree_rss_kb() {
  local pid=$1 total child
  total=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
  for child in $(pgrep -P "$pid" || true); do
    total=$((total + $(process_tree_rss_kb "$child")))
  done
  echo "${total:-0}"
}
