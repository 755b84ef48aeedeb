#!/usr/bin/env bash
# Brings a machine from a fresh clone to ready: system packages, npm
# dependencies, the native addon and the compiled TypeScript. Idempotent and
# quick when nothing is missing, so every entry point can call it.
set -euo pipefail
cd "$(dirname "$0")/.."

# iproute2: namespaces and policy routing; haproxy: the real load balancer in
# tests; libpcap-dev: the `cap` binding; go-mmproxy: side-by-side benchmarks;
# clang + libclang-rt: the libFuzzer run; iptables/nftables: mark-mode checks;
# systemd: only its systemd-analyze, which verifies scripts/systemd/mmproxy@.service
# (installing it in a container starts nothing); util-linux: setpriv;
# patchelf: the node copy that loads the sanitizers (scripts/asan-netns.sh);
# clang-format: `npm run lint` checks the C++ layout; dnsdist: a real sender of PROXY v2 over UDP;
# groff-base: the manual page is checked with groff.
APT_PACKAGES=(iproute2 haproxy libpcap-dev go-mmproxy clang libclang-rt-14-dev
  iptables nftables procps util-linux libcap2-bin python3 make g++ systemd patchelf clang-format dnsdist groff-base)

log() { printf 'bootstrap: %s\n' "$*"; }

missing_packages() {
  local package status
  for package in "${APT_PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null || true)
    [ "$status" = installed ] || printf '%s\n' "$package"
  done
}

install_system_packages() {
  local missing
  mapfile -t missing < <(missing_packages)
  [ "${#missing[@]}" -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    log "missing system packages: ${missing[*]}"
    log "install them as root, for example: sudo apt-get install -y ${missing[*]}"
    log "continuing: the build and the tests that need them will say what is missing"
    return 0
  fi
  log "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# promtool checks /metrics and the alert rules. It comes in Debian's prometheus
# package, whose install would also start (and enable) a Prometheus server: only
# the promtool binary is taken out of the downloaded package, into .tools/.
fetch_promtool() {
  command -v promtool >/dev/null && return 0
  [ -x .tools/promtool ] && return 0
  if ! command -v apt-get >/dev/null || ! command -v dpkg-deb >/dev/null; then
    log "promtool missing (no apt-get here): the promtool tests will say so"
    return 0
  fi
  local scratch
  scratch=$(mktemp -d)
  log "taking promtool out of Debian's prometheus package (the server is not installed)"
  if (cd "$scratch" && { apt-get download prometheus >/dev/null 2>&1 ||
    { apt-get update -qq && apt-get download prometheus >/dev/null 2>&1; }; }); then
    dpkg-deb -x "$scratch"/prometheus_*.deb "$scratch/root"
    mkdir -p .tools
    cp "$scratch/root/usr/bin/promtool" .tools/promtool
  else
    log "could not download the prometheus package: the promtool tests will say so"
  fi
  rm -rf "$scratch"
}

# shellcheck source=lib/stale.sh
source scripts/lib/stale.sh

install_npm_dependencies() {
  if stale node_modules/.package-lock.json package.json package-lock.json; then
    log "npm ci"
    npm ci --no-audit --no-fund
  fi
}

build_native() {
  if stale build/Release/mmproxy_native.node native binding.gyp; then
    log "building the native addon"
    npm run --silent build:native
  fi
}

build_typescript() {
  log "compiling TypeScript"
  rm -rf dist
  npm run --silent build:ts
}

install_system_packages
fetch_promtool
install_npm_dependencies
build_native
build_typescript
log "ready"
