#!/usr/bin/env bash
# Builds the doctor's probe core with AddressSanitizer and UBSan (without
# N-API, so no Node is involved) and runs it against loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
g++ -std=c++17 -g -O1 -Wall -Wextra -fsanitize=address,undefined -fno-omit-frame-pointer -Inative/src \
  native/src/probe/connect_probe.cc native/src/os/address.cc native/src/os/socket_options.cc native/src/os/sockets.cc native/src/os/keepalive.cc \
  native/test/probe_sanitize.cc -o "$out/probe_sanitize"
UBSAN_OPTIONS=halt_on_error=1 ASAN_OPTIONS=detect_leaks=1 "$out/probe_sanitize"
