# Sourced by bootstrap.sh and prepack.sh.
# True when $1 is missing or older than any of the following paths' files.
stale() {
  local target=$1
  shift
  [ -e "$target" ] || return 0
  [ -n "$(find "$@" -newer "$target" -type f -print -quit 2>/dev/null)" ]
}
