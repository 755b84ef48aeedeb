// One wrapper per socket option, shared by the data plane and the doctor's
// probes. Each returns an OptionResult naming the option and the errno of
// the failed setsockopt, so a caller can report
// "setsockopt(IP_TRANSPARENT): Operation not permitted".
#pragma once

#include <sys/socket.h>

#include <string>

namespace mmproxy {

// The result of one setsockopt: `option` names it for the error message.
struct OptionResult {
  const char* option = nullptr;
  int error = 0;  // errno, 0 on success
  explicit operator bool() const { return error == 0; }
  // "setsockopt(IP_TRANSPARENT)": the failed call, as errors name it.
  std::string syscall() const { return std::string("setsockopt(") + option + ")"; }
};

// IP_TRANSPARENT (IPv4) or IPV6_TRANSPARENT (IPv6): bind to and accept for
// addresses that are not local. Needs CAP_NET_ADMIN.
OptionResult SetTransparent(int fd, sa_family_t family);
// Lets several sockets (one per worker) listen on the same address.
OptionResult SetReusePort(int fd);
// Lets an upstream socket bind to a client address:port that a previous
// connection left in TIME_WAIT (go-mmproxy sets it too).
OptionResult SetReuseAddr(int fd);
// Dual stack for IPv6 listeners, as Go's net.Listen("tcp", "[::]:port").
OptionResult SetV6Only(int fd, bool only);
OptionResult SetMark(int fd, unsigned mark);
// IP_BIND_ADDRESS_NO_PORT: bind() to port 0 fixes only the address; connect()
// picks a port that is free for this very target (IPv6 sockets too).
OptionResult SetBindAddressNoPort(int fd);
OptionResult SetNoDelay(int fd);
// TCP_DEFER_ACCEPT on a listener: a connection is handed to accept() only once
// its first data has arrived (or, silent, after about `seconds`, when the
// kernel's SYN-ACK retransmission draws a last ACK). A client that resets
// before sending anything never reaches accept() at all.
OptionResult SetDeferAccept(int fd, unsigned seconds);
// SO_LINGER {1, 0}: the next close() sends a reset instead of a FIN.
OptionResult SetResetOnClose(int fd);
// SO_KEEPALIVE on, with its three TCP_KEEP* parameters (see keepalive.h).
OptionResult SetKeepAliveProbes(int fd, unsigned idle_s, unsigned interval_s, unsigned count);
// TCP_USER_TIMEOUT: how long sent data may stay unacknowledged.
OptionResult SetUserTimeout(int fd, unsigned timeout_ms);
// True when the kernel has closed the TCP connection under this socket (it
// gave up on the peer, or a reset came), though the descriptor is still open.
bool IsTcpClosed(int fd);
// Reads and clears SO_ERROR: the outcome of a non-blocking connect.
int TakeSocketError(int fd);

}  // namespace mmproxy
