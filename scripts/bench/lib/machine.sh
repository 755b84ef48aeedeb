# What the figures were measured on and with which settings, for the report.

cpu_model() {
  awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo
}

package_version() {
  dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo unknown
}

git_revision() {
  local revision
  revision=$(git -C "$BENCH_REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)
  if [ -n "$(git -C "$BENCH_REPO" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
    revision="$revision+changes"
  fi
  echo "$revision"
}

write_machine_json() {
  cat >"$1" <<JSON
{
  "date": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "nproc": $(nproc),
  "load_at_start": $(json_string "$(cut -d' ' -f1-3 /proc/loadavg)"),
  "cpu_model": $(json_string "$(cpu_model)"),
  "kernel": $(json_string "$(uname -r)"),
  "node": $(json_string "$(node --version)"),
  "go_mmproxy": $(json_string "$(package_version go-mmproxy)"),
  "mmproxy_revision": $(json_string "$(git_revision)"),
  "mmproxy_command": $(json_string "${MMPROXY_COMMAND[*]//"$BENCH_REPO/"/}"),
  "seconds": $BENCH_SECONDS,
  "rounds": $BENCH_ROUNDS,
  "idle_conns": $BENCH_IDLE_CONNS,
  "listeners": $BENCH_LISTENERS,
  "client_cpu": $(json_string "$BENCH_CLIENT_CPU"),
  "server_cpu": $(json_string "$BENCH_SERVER_CPU"),
  "rps": $(json_string "$BENCH_RPS"),
  "contenders": $(json_list $BENCH_CONTENDERS),
  "workloads": $(json_list $BENCH_WORKLOADS),
  "fd_limit": $(ulimit -n)
}
JSON
}
