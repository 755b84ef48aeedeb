# Compiles the load generator and the backend into the git-ignored build dir.
# Always rebuilt: it takes well under a second and can never be stale.

BENCH_CFLAGS=(-O2 -std=gnu11 -Wall -Wextra)

build_tools() {
  local src=$BENCH_DIR/c
  command -v gcc >/dev/null || { bench_log "gcc is missing: apt-get install gcc"; return 1; }
  mkdir -p "$BENCH_BUILD"
  gcc "${BENCH_CFLAGS[@]}" -o "$BENCH_BUILD/loadgen" "$src"/loadgen*.c "$src/common.c" \
    "$src/proxy_v2.c" "$src/histogram.c"
  gcc "${BENCH_CFLAGS[@]}" -o "$BENCH_BUILD/backend" "$src/backend.c" "$src/common.c"
}
