# Logging and small helpers shared by the benchmark runner's libraries.

bench_log() { printf 'bench: %s\n' "$*" >&2; }

# Runs a command after logging it, so the output shows exactly what ran.
bench_run() {
  bench_log "+ $*"
  "$@"
}

# A JSON string literal for arbitrary text (error messages, CPU names).
json_string() {
  node -e 'process.stdout.write(JSON.stringify(process.argv[1]))' "$1"
}

# A JSON list of strings from the arguments.
json_list() {
  node -e 'process.stdout.write(JSON.stringify(process.argv.slice(1)))' "$@"
}
