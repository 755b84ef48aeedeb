// The addresses of this host, in the data plane's network namespace, kept
// current: what a PROXY header may not name as its client (unless
// --allow-local-clients) and where -dynamic-destination may go without an
// allow-list.
//
// Why this design: each worker thread (EventLoop) holds a NETLINK_ROUTE socket subscribed to address changes
// (RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR) and, before each lookup, reads it without blocking; anything
// there (or ENOBUFS, a missed message) marks the list stale and it is read again with getifaddrs(3). The
// kernel queues the notification before `ip addr add` returns, so a lookup never misses an address that
// already exists: a timer would leave a window, a thread of its own a race. The cost is one recv() that finds
// nothing per new flow or UDP session, never per byte or datagram. Each thread has its own socket and list,
// used by every plane's worker on it: no lock, no sharing.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "os/address.h"
#include "os/unique_fd.h"

namespace mmproxy::dataplane {

// Loopback: 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104.
bool IsLoopback(const Address& address);

class LocalAddresses {
 public:
  // Throws std::system_error when the netlink socket cannot be opened.
  LocalAddresses();

  // True for a loopback address or one an interface holds now (the port is
  // not compared; IPv4-mapped IPv6 is compared as IPv4).
  bool Contains(const Address& address);
  void Close() { changes_.Reset(); }

 private:
  // Reads the queued change notifications; true when there were any.
  bool Changed();
  void Reload();

  UniqueFd changes_;
  bool stale_ = true;
  std::vector<std::array<uint8_t, 4>> v4_;
  std::vector<std::array<uint8_t, 16>> v6_;
};

}  // namespace mmproxy::dataplane
