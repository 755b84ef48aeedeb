#include "os/keepalive.h"

namespace mmproxy {
namespace {

// Probes that may go unanswered: with one every idle/3 seconds, a dead peer
// is given up on after twice the idle time, and one lost probe is forgiven.
constexpr unsigned kProbes = 3;

}  // namespace

KeepAlive KeepAliveFor(unsigned idle_s) {
  KeepAlive keepalive;
  if (idle_s == 0) return keepalive;
  keepalive.idle_s = idle_s;
  keepalive.interval_s = (idle_s + kProbes - 1) / kProbes;  // idle/3 rounded up: at least 1
  keepalive.count = kProbes;
  keepalive.user_timeout_ms = (idle_s + keepalive.interval_s * kProbes) * 1000;
  return keepalive;
}

OptionResult ApplyKeepAlive(int fd, const KeepAlive& keepalive) {
  if (auto r = SetKeepAliveProbes(fd, keepalive.idle_s, keepalive.interval_s, keepalive.count); !r) return r;
  return SetUserTimeout(fd, keepalive.user_timeout_ms);
}

}  // namespace mmproxy
