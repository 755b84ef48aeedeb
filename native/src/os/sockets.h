// Creating the two kinds of sockets the data plane owns besides accepted
// ones: listeners and upstream connections. Each failure names the step
// ("bind", "setsockopt(IP_TRANSPARENT)") and its errno.
#pragma once

#include <string>

#include "os/address.h"
#include "os/keepalive.h"
#include "os/unique_fd.h"

namespace mmproxy {

struct SocketFailure {
  std::string step;  // "socket", "bind", "setsockopt(SO_MARK)", ...
  int error = 0;     // errno; 0 means no failure
  explicit operator bool() const { return error != 0; }
};

struct ListenOptions {
  bool transparent = false;
  bool datagram = false;  // a UDP socket (bound, no listen) instead of TCP
  KeepAlive keepalive;    // TCP: set on the listener, inherited by accepted sockets
  // TCP: TCP_DEFER_ACCEPT seconds (socket_options.h); 0 leaves it off.
  unsigned defer_accept_s = 0;
};

// A non-blocking SO_REUSEPORT listener; IPv6 listeners are dual stack
// (IPV6_V6ONLY=0), as go-mmproxy's Go listener is for "[::]:port".
SocketFailure OpenListener(const Address& address, const ListenOptions& options, UniqueFd* out);

// Binds and closes a socket like the listeners but without SO_REUSEPORT: it
// fails with EADDRINUSE when any other socket (a second mmproxy included,
// which SO_REUSEPORT would otherwise let in silently) holds the port.
SocketFailure CheckPortFree(const Address& address, const ListenOptions& options);

struct UpstreamOptions {
  // The client's address and port to connect from (IP_TRANSPARENT); null to
  // connect from our own address (LOCAL and UNKNOWN headers).
  const Address* spoof_source = nullptr;
  unsigned mark = 0;      // SO_MARK when not 0 and spoofing
  bool datagram = false;  // UDP: connect() only fixes the peer, it completes at once
  // Bind to spoof_source's address only and let the kernel pick the port:
  // the way out of an address collision (address_collision.h).
  bool ephemeral_port = false;
};

// Starts a non-blocking connect to `target`. No TCP_SYNCNT: the kernel's own
// SYN retries stay as the admin configured them; the data plane's connect
// timeout decides when to give up. The handshake's last ACK goes out alone,
// even when client bytes wait: TCP_DEFER_ACCEPT on the connecting socket
// would let it ride on them (one segment fewer), but the socket then also
// delays its ACK of the target's first reply, and a target that writes a
// reply in two pieces with Nagle on waits for that ACK: 0.3 -> 45 ms.
SocketFailure StartConnect(const Address& target, const UpstreamOptions& options, UniqueFd* out);

// getsockname(): the address and port a socket is bound to. False on failure.
bool LocalAddress(int fd, Address* out);

}  // namespace mmproxy
