# The ways the load generator reaches the backend: directly, through
# go-mmproxy (Debian's package) and through mmproxy, as its defaults run it
# (`mmproxy`) and with one relay choice forced (`mmproxy-copy`,
# `mmproxy-splice`, `mmproxy-fast`: see mmproxy_variant_flags). Every proxy
# gets the same flags besides; a proxy that is not installed or not built
# yet, or a variant this mmproxy has no flag for, is skipped with the reason,
# not failed. BENCH_MMPROXY overrides the mmproxy command (for example
# "mmproxy" for an installed one); by default it is this checkout's.

read -r -a MMPROXY_COMMAND <<<"${BENCH_MMPROXY:-node $BENCH_REPO/bin/mmproxy.js}"

# mmproxy_variant_flags NAME: the flags that make mmproxy contender NAME.
mmproxy_variant_flags() {
  case $1 in
    mmproxy) ;;
    mmproxy-copy) echo "--relay-mode copy" ;;
    mmproxy-splice) echo "--relay-mode splice" ;;
    mmproxy-fast) echo "--fast-path auto" ;;
    mmproxy-nofast) echo "--fast-path off" ;;
  esac
}

# contender_skip_reason NAME: prints why NAME cannot run here, or nothing.
contender_skip_reason() {
  case $1 in
    direct) ;;
    go-mmproxy)
      command -v go-mmproxy >/dev/null ||
        echo "go-mmproxy is not installed (apt-get install go-mmproxy, or run scripts/bootstrap.sh)"
      ;;
    mmproxy | mmproxy-copy | mmproxy-splice | mmproxy-fast | mmproxy-nofast)
      local flag help
      flag=$(mmproxy_variant_flags "$1" | cut -d' ' -f1)
      if [ -z "${BENCH_MMPROXY:-}" ] && [ ! -f "$BENCH_REPO/dist/src/cli/main.js" ]; then
        echo "mmproxy is not built (run npm run build)"
        return 0
      fi
      help=$("${MMPROXY_COMMAND[@]}" --help 2>&1 || true)
      if ! grep -q -- 'listeners' <<<"$help"; then
        echo "'${MMPROXY_COMMAND[*]//"$BENCH_REPO/"/} --help' lists no -listeners: this mmproxy has no proxy command yet (merge main once it lands)"
      elif [ -n "$flag" ] && ! grep -q -- "$flag" <<<"$help"; then
        echo "this mmproxy has no $flag flag"
      fi
      ;;
    *) echo "unknown contender '$1' (known: direct go-mmproxy mmproxy mmproxy-copy mmproxy-splice mmproxy-fast mmproxy-nofast)" ;;
  esac
}

# contender_start NAME LISTEN_PORT BACKEND_PORT LOG: starts the proxy on the
# server CPU and waits until it listens; sets CONTENDER_PID (empty for
# direct). Returns 1 when the proxy did not come up within 10 s.
contender_start() {
  local name=$1 listen=127.0.0.1:$2 backend=$3 log=$4
  local flags=(-l "$listen" -4 "127.0.0.1:$backend" -6 "[::1]:$backend" -listeners "$BENCH_LISTENERS" -v 0)
  CONTENDER_PID=""
  case $name in
    direct) return 0 ;;
    go-mmproxy) start_background "$log" "$log" "$BENCH_SERVER_CPU" go-mmproxy "${flags[@]}" ;;
    mmproxy*)
      # shellcheck disable=SC2046 # the variant's flags are meant to split
      start_background "$log" "$log" "$BENCH_SERVER_CPU" "${MMPROXY_COMMAND[@]}" "${flags[@]}" \
        $(mmproxy_variant_flags "$name")
      ;;
  esac
  CONTENDER_PID=$STARTED_PID
  if ! wait_listening "$2" "$CONTENDER_PID"; then
    bench_log "$name exited or did not listen on $listen within 10 s; its log ends with:"
    tail -n 5 "$log" >&2 || true
    return 1
  fi
}

# contender_target NAME LISTEN_PORT BACKEND_PORT: the load generator's
# arguments for reaching the backend through NAME.
contender_target() {
  case $1 in
    direct) echo "--target 127.0.0.1:$3" ;;
    *) echo "--target 127.0.0.1:$2 --proxy-v2" ;;
  esac
}
