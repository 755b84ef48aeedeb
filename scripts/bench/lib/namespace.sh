# The benchmark's private network namespace: one namespace, everything on its
# loopback, with the policy routing that sends replies for spoofed client
# addresses back to the proxy's transparent sockets. The root namespace is
# never touched.

BENCH_NS=""

# Creates a uniquely named namespace (other people run tests on this machine
# at the same time) and sets up loopback routing and sysctls inside it.
namespace_create() {
  BENCH_NS="mmbench-$$-$RANDOM"
  bench_run ip netns add "$BENCH_NS"
  bench_run ip -n "$BENCH_NS" link set lo up
  bench_run ip -n "$BENCH_NS" rule add from 127.0.0.1/8 iif lo table 123
  bench_run ip -n "$BENCH_NS" route add local 0.0.0.0/0 dev lo table 123
  bench_run ip -n "$BENCH_NS" -6 rule add from ::1/128 iif lo table 123
  bench_run ip -n "$BENCH_NS" -6 route add local ::/0 dev lo table 123
  # Connection-rate runs open tens of thousands of client sockets; a wide
  # port range keeps them from waiting on TIME_WAIT. It starts above the
  # services' ports (2000 up) so no client socket ever holds one of them.
  # A sysctl of this namespace only.
  bench_run ip netns exec "$BENCH_NS" sysctl -qw net.ipv4.ip_local_port_range="10000 65535"
  steer_receive_work
}

# The fair placement (BENCH_RPS=server, the default): loopback's receive
# processing (the softirq that runs TCP for every packet) is steered with RPS
# onto the server CPU, where the proxy and the backend run, as on a real app
# host where the NIC's interrupts and the app share the machine. Without it
# the receive work runs on whichever CPU sent the packet, so the load
# generator's core would do the proxy's TCP work for free. `ip netns exec`
# mounts the namespace's own sysfs: this is the namespace's lo, never the
# root namespace's. BENCH_RPS=off leaves it as the kernel does by default.
steer_receive_work() {
  local mask
  case $BENCH_RPS in
    off) return 0 ;;
    server) mask=$(printf '%x' $((1 << BENCH_SERVER_CPU))) ;;
    *)
      bench_log "BENCH_RPS must be server or off, not '$BENCH_RPS'"
      return 1
      ;;
  esac
  bench_run ip netns exec "$BENCH_NS" sh -c "echo $mask > /sys/class/net/lo/queues/rx-0/rps_cpus"
}

# Runs a command inside the namespace.
in_namespace() {
  ip netns exec "$BENCH_NS" "$@"
}

# wait_listening PORT PID: true once something listens on PORT inside the
# namespace; false when PID exits first or after 10 s.
wait_listening() {
  local port=$1 pid=$2 attempt
  for attempt in $(seq 1 100); do
    if [ -n "$(ss -N "$BENCH_NS" -tlnH "sport = :$port" 2>/dev/null)" ]; then
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# Deletes the namespace and waits (at most 5 s) until it is gone.
namespace_delete() {
  local attempt
  [ -n "$BENCH_NS" ] || return 0
  ip netns del "$BENCH_NS" 2>/dev/null || true
  for attempt in $(seq 1 50); do
    ip netns list | grep -qw "$BENCH_NS" || { BENCH_NS=""; return 0; }
    sleep 0.1
  done
  bench_log "warning: namespace $BENCH_NS is still listed after deletion"
}
