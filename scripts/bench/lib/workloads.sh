# The workloads, each run against a fresh backend and a fresh proxy so
# that one workload's leftovers (buffers, heap, TIME_WAIT) never weigh on the
# next. Results go to $BENCH_OUT/CONTENDER-WORKLOAD.rROUND.json; a failure
# is written to CONTENDER-WORKLOAD.rROUND.error and the run goes on.

# Each run gets its own two ports, below the ephemeral range (namespace.sh).
BENCH_NEXT_PORT=2000
BENCH_HARNESS_FAILED=0

workload_backend_mode() {
  case $1 in
    bulk) echo source ;;
    stall) echo stall ;;
    *) echo echo ;;
  esac
}

workload_loadgen_args() {
  case $1 in
    pingpong) echo "pingpong --conns 50 --size 64 --seconds $BENCH_SECONDS" ;;
    bulk) echo "bulk --conns 4 --seconds $BENCH_SECONDS" ;;
    connrate) echo "connrate --conns 50 --size 64 --seconds $BENCH_SECONDS" ;;
    # Held at most 120 s; the runner ends it as soon as memory is measured.
    idle) echo "idle --conns $BENCH_IDLE_CONNS --size 16 --hold 120" ;;
    # Filling the path takes a second or two; 60 s means it never fills.
    stall) echo "stall --conns 4 --seconds 60 --hold 120" ;;
  esac
}

# record_failure BASE MESSAGE: the report shows MESSAGE in place of figures.
# Paths in it are shown relative to the repository.
record_failure() {
  local message=${2//"$BENCH_REPO/"/}
  bench_log "$message"
  printf '%s\n' "$message" >"$1.error"
}

# Runs the load generator on the client CPU and waits for it (the load
# generator bounds its own run time). Returns its exit status.
run_loadgen() {
  local base=$1
  shift
  local status=0
  start_background "$base.json" "$base.loadgen.log" "$BENCH_CLIENT_CPU" "$BENCH_BUILD/loadgen" "$@"
  wait "$STARTED_PID" || status=$?
  forget_process "$STARTED_PID"
  return "$status"
}

# How many of the backend's connections come from a spoofed client address
# (198.51.100.0/24): proof that the proxy really connected as the client.
count_spoofed_upstreams() {
  ss -N "$BENCH_NS" -tnH state established src "127.0.0.1:$1" | grep -c ' 198\.51\.100\.' || true
}

# wait_for_line FILE PATTERN PID TENTHS: true once FILE has a line matching
# PATTERN; false when PID exits first or after TENTHS tenths of a second.
wait_for_line() {
  local file=$1 pattern=$2 pid=$3 tenths=$4 attempt
  for attempt in $(seq 1 "$tenths"); do
    grep -q "$pattern" "$file" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  grep -q "$pattern" "$file" 2>/dev/null
}

# Idle connections: RSS of the proxy before opening them and once all are up.
measure_idle() {
  local base=$1 proxy_pid=$2 backend_port=$3 loadgen_pid before after spoofed
  shift 3
  sleep 1
  before=$(process_tree_rss_kb "$proxy_pid")
  start_background "$base.json" "$base.loadgen.log" "$BENCH_CLIENT_CPU" "$BENCH_BUILD/loadgen" "$@"
  loadgen_pid=$STARTED_PID
  # Opening is bounded to 60 s by the load generator itself; poll a bit longer.
  if ! wait_for_line "$base.json" '"mode":"idle"' "$loadgen_pid" 900; then
    stop_process "$loadgen_pid"
    return 1
  fi
  # Let the proxy finish what it does after the last echo (buffers, GC).
  sleep 2
  if ! ours "$proxy_pid"; then
    stop_process "$loadgen_pid"
    return 1
  fi
  after=$(process_tree_rss_kb "$proxy_pid")
  spoofed=$(count_spoofed_upstreams "$backend_port")
  stop_process "$loadgen_pid"
  printf '{"rss_before_kb":%d,"rss_after_kb":%d,"spoofed_upstreams":%d}\n' "$before" "$after" "$spoofed" \
    >"$base.rss.json"
}

# A stalled reader: once the load generator says the path is full, every
# TCP socket's memory in the namespace (ss -tmi: skmem, Recv-Q, Send-Q) is
# saved for the report, with the two ports that tell whose socket is whose.
measure_stall() {
  local base=$1 listen_port=$2 backend_port=$3 loadgen_pid
  shift 3
  start_background "$base.json" "$base.loadgen.log" "$BENCH_CLIENT_CPU" "$BENCH_BUILD/loadgen" "$@"
  loadgen_pid=$STARTED_PID
  # The load generator gives up by itself after 60 s; poll a bit longer.
  if ! wait_for_line "$base.json" '"mode":"stall"' "$loadgen_pid" 700; then
    stop_process "$loadgen_pid"
    return 1
  fi
  {
    printf '# listen_port=%s backend_port=%s\n' "$listen_port" "$backend_port"
    ss -N "$BENCH_NS" -tmnOH
  } >"$base.ss.txt"
  stop_process "$loadgen_pid"
}

# A fresh process: the proxy's resident set once it listens and has had a
# second to settle, before any connection. For `direct`, bare Node (the same
# node binary, an empty event loop) is weighed instead: the floor mmproxy's
# JavaScript half stands on.
measure_fresh_rss() {
  local base=$1 contender=$2 pid
  if [ "$contender" = direct ]; then
    start_background "$base.node.log" "$base.node.log" "$BENCH_SERVER_CPU" \
      node -e 'process.stdout.write("ready\n"); setInterval(() => {}, 1 << 30)'
    pid=$STARTED_PID
    wait_for_line "$base.node.log" ready "$pid" 100 || true
  else
    pid=$CONTENDER_PID
  fi
  sleep 1
  if ! ours "$pid"; then
    [ "$contender" = direct ] && stop_process "$pid"
    return 1
  fi
  printf '{"rss_kb":%d}\n' "$(process_tree_rss_kb "$pid")" >"$base.json"
  [ "$contender" = direct ] && stop_process "$pid"
  return 0
}

# run_workload CONTENDER WORKLOAD ROUND
run_workload() {
  local contender=$1 workload=$2 round=$3
  local backend_port=$BENCH_NEXT_PORT listen_port=$((BENCH_NEXT_PORT + 1))
  local base="$BENCH_OUT/$contender-$workload.r$round" backend_pid target
  BENCH_NEXT_PORT=$((BENCH_NEXT_PORT + 2))
  # Direct has no proxy whose memory could be weighed.
  [ "$contender" = direct ] && [ "$workload" = idle ] && return 0
  bench_log "== round $round: $contender: $workload"

  start_background "$base.backend.log" "$base.backend.log" "$BENCH_SERVER_CPU" \
    "$BENCH_BUILD/backend" "$(workload_backend_mode "$workload")" --listen "127.0.0.1:$backend_port"
  backend_pid=$STARTED_PID
  if ! wait_listening "$backend_port" "$backend_pid"; then
    record_failure "$base" "harness: the backend did not listen on port $backend_port; see $base.backend.log"
    BENCH_HARNESS_FAILED=1
    stop_process "$backend_pid"
    return 0
  fi
  if ! contender_start "$contender" "$listen_port" "$backend_port" "$base.proxy.log"; then
    record_failure "$base" "$contender did not start; see $base.proxy.log"
  else
    target=$(contender_target "$contender" "$listen_port" "$backend_port")
    if [ "$workload" = rss ]; then
      measure_fresh_rss "$base" "$contender" ||
        record_failure "$base" "$contender: exited before its memory was read (see $base.*.log)"
    elif [ "$workload" = idle ]; then
      # shellcheck disable=SC2086 # the argument lists are meant to split
      measure_idle "$base" "$CONTENDER_PID" "$backend_port" $(workload_loadgen_args idle) $target ||
        record_failure "$base" "$contender: idle connections did not all stay open: $(tail -n 1 "$base.loadgen.log") (see $base.*.log)"
    elif [ "$workload" = stall ]; then
      # shellcheck disable=SC2086 # the argument lists are meant to split
      measure_stall "$base" "$listen_port" "$backend_port" $(workload_loadgen_args stall) $target ||
        record_failure "$base" "$contender: the stalled path did not fill: $(tail -n 1 "$base.loadgen.log") (see $base.*.log)"
    else
      # shellcheck disable=SC2086 # the argument lists are meant to split
      run_loadgen "$base" $(workload_loadgen_args "$workload") $target ||
        record_failure "$base" "$contender: $workload failed: $(tail -n 1 "$base.loadgen.log") (see $base.*.log)"
    fi
    [ -f "$base.error" ] && [ "$contender" = direct ] && BENCH_HARNESS_FAILED=1
  fi
  [ -n "$CONTENDER_PID" ] && stop_process "$CONTENDER_PID"
  stop_process "$backend_pid"
}
