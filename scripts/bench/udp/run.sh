#!/usr/bin/env bash
# UDP mode side by side: a direct run against the echo backend (no header),
# go-mmproxy -p udp and mmproxy -p udp (once per --udp-header mode: every,
# first, spp; go-mmproxy has only every), one worker each way, in a namespace
# of its own with loopback routing, at 1,200-byte payloads from 100 spoofed
# clients. Prints one JSON line per contender and round, then each proxy's
# median datagrams/s as a ratio of direct's.
#   sudo bash scripts/bench/udp/run.sh [SECONDS] [ROUNDS]
# Everything stays inside the namespace this script creates and deletes.
set -euo pipefail

SECONDS_PER_RUN=${1:-5}
ROUNDS=${2:-2}
CLIENTS=100
PAYLOAD=1200
# Datagrams in flight per round trip: enough to keep both proxies busy.
WINDOW=64
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../../.." && pwd)
BUILD=$(mktemp -d)
NS="mmp-udpb-$$-$(printf '%04x' $RANDOM)"
PIDS=()

cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  ip netns del "$NS" 2>/dev/null || true
  rm -rf "$BUILD"
}
trap cleanup EXIT INT TERM

[ "$(id -u)" = 0 ] || { echo "needs root (network namespaces)" >&2; exit 1; }
command -v go-mmproxy >/dev/null || { echo "go-mmproxy is missing: apt-get install go-mmproxy" >&2; exit 1; }
gcc -O2 -std=gnu11 -Wall -Wextra -o "$BUILD/udp_bench" "$HERE/udp_bench.c"

ip netns add "$NS"
ip -n "$NS" link set lo up
ip -n "$NS" rule add from 127.0.0.1/8 iif lo table 123
ip -n "$NS" route add local 0.0.0.0/0 dev lo table 123
in_ns() { ip netns exec "$NS" "$@"; }

# Waits until something is bound to UDP PORT in the namespace (at most 10 s).
wait_bound() {
  for _ in $(seq 1 100); do
    [ -n "$(ss -N "$NS" -ulnH "sport = :$1")" ] && return 0
    sleep 0.1
  done
  echo "nothing bound to UDP port $1" >&2
  return 1
}

# Background commands use `ip netns exec` itself (it execs the command), not
# in_ns: a function in the background is a subshell, and its $! is not the
# process to stop.
ip netns exec "$NS" "$BUILD/udp_bench" echo 127.0.0.1:2100 & PIDS+=($!)
wait_bound 2100

# run_contender NAME ROUND PORT MODE COMMAND...: a fresh proxy per round, so no
# session of an earlier round (another load balancer port, same clients)
# still holds the client addresses.
run_contender() {
  local name=$1 round=$2 port=$3 mode=$4 pid
  shift 4
  ip netns exec "$NS" "$@" >"$BUILD/$name.log" 2>&1 & pid=$!
  PIDS+=("$pid")
  wait_bound "$port"
  printf '{"contender":"%s","round":%d,"result":%s}\n' "$name" "$round" \
    "$(in_ns "$BUILD/udp_bench" load "127.0.0.1:$port" "$CLIENTS" "$PAYLOAD" "$SECONDS_PER_RUN" "$WINDOW" "$mode")" |
    tee -a "$BUILD/results.jsonl"
  kill "$pid"
  wait "$pid" 2>/dev/null || true
}

# The load generator straight at the echo: what the proxies are measured against.
run_direct() {
  printf '{"contender":"direct","round":%d,"result":%s}\n' "$1" \
    "$(in_ns "$BUILD/udp_bench" load 127.0.0.1:2100 0 "$PAYLOAD" "$SECONDS_PER_RUN" "$WINDOW")" |
    tee -a "$BUILD/results.jsonl"
}

for round in $(seq 1 "$ROUNDS"); do
  run_direct "$round"
  run_contender go-mmproxy "$round" 2201 every go-mmproxy -p udp -l 127.0.0.1:2201 -4 127.0.0.1:2100 -6 '[::1]:2100' -close-after 60
  # mmproxy once per --udp-header mode; go-mmproxy has only `every`.
  for mode in every first spp; do
    name=mmproxy; [ "$mode" = every ] || name=mmproxy-$mode
    run_contender "$name" "$round" 2202 "$mode" node "$REPO/bin/mmproxy.js" -p udp -l 127.0.0.1:2202 \
      -4 127.0.0.1:2100 -6 '[::1]:2100' -close-after 60 -listeners 1 --udp-header "$mode" \
      --stats-socket "$BUILD/stats.sock"
  done
done

# Medians over the rounds, and each proxy against direct.
node -e '
  const lines = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map((l) => JSON.parse(l));
  const median = (xs) => { const s = [...xs].sort((a, b) => a - b), m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
  const rate = (name) => median(lines.filter((l) => l.contender === name).map((l) => l.result.repliesPerSecond));
  const direct = rate("direct");
  for (const name of ["direct", "go-mmproxy", "mmproxy", "mmproxy-first", "mmproxy-spp"]) {
    console.log(`${name}: ${Math.round(rate(name))} datagrams/s (median), ${(rate(name) / direct).toFixed(2)}x direct`);
  }
' "$BUILD/results.jsonl"
