// Dead-peer detection on both sockets of a flow. A load balancer or target
// that vanishes without a FIN or a reset (power loss, a cable pulled, a
// firewall that starts dropping) otherwise leaves the flow open forever:
// TCP only notices a silent peer when it has something to send, and then
// only after its retransmissions give up (~15 minutes with tcp_retries2=15).
#pragma once

#include "os/socket_options.h"

namespace mmproxy {

struct KeepAlive {
  // Seconds without traffic before the first probe; 0 turns it all off.
  unsigned idle_s = 0;
  unsigned interval_s = 0;  // between unanswered probes
  unsigned count = 0;       // unanswered probes that end the connection
  // TCP_USER_TIMEOUT: data unacknowledged this long ends the connection too
  // (keepalive probes are only sent while nothing is in flight). The kernel
  // also applies it to a peer whose receive window stays closed: a target or
  // load balancer that reads nothing for this long is treated as dead.
  unsigned user_timeout_ms = 0;

  bool enabled() const { return idle_s != 0; }
};

// --keepalive SECONDS: probes every idle/3 seconds (at least 1) after `idle_s`
// of silence; 3 unanswered ones, or data unacknowledged for as long
// (idle + 3 intervals), end the connection. 15 s (Go's default idle time,
// hence go-mmproxy's) ends a flow with a dead peer after about 30 s.
KeepAlive KeepAliveFor(unsigned idle_s);

// SO_KEEPALIVE with TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT, then
// TCP_USER_TIMEOUT; the result names the first option that failed.
// Accepted sockets inherit all of them from their listener.
OptionResult ApplyKeepAlive(int fd, const KeepAlive& keepalive);

}  // namespace mmproxy
