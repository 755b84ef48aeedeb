// One UDP client session: what the load balancer relays for one client,
// sent to the target through one upstream socket bound to the client's
// address and port, until closeAfter of silence.
#pragma once

#include <array>
#include <cstdint>
#include <list>
#include <memory>
#include <optional>
#include <string>

#include "dataplane/shared/event_loop.h"
#include "dataplane/shared/flow_info.h"
#include "dataplane/udp/datagram_header.h"
#include "os/address.h"
#include "os/unique_fd.h"
#include "proxy_header/spp.h"

namespace mmproxy::dataplane {

struct UdpSession {
  UniqueFd upstream;  // connect()ed to the target
  EpollTag tag;       // its epoll registration's: the worker and this session
  FlowInfo info;      // what flows() shows: load balancer, client, target, bytes
  // The load balancer as recvmmsg reported it (IPv4-mapped on a dual-stack
  // listener): replies are sent back to exactly this.
  Address reply_to;
  std::string key;  // load balancer + client, the session table's key
  // The address:port the upstream socket is bound to, claimed in the data
  // plane's TupleTable: the client's, or its ephemeral stand-in after a
  // collision. None for LOCAL sessions (our own address).
  std::optional<Address> source;
  int64_t last_active_ms = 0;
  // Opened by a LOCAL header: `info.client` is the load balancer's address
  // (or none), not a client a header named.
  bool local_header = false;
  // The kind of header that last named its client (kNone until one has).
  HeaderKind header_kind = HeaderKind::kNone;
  // SPP sessions: the header of the client's last datagram, put in front of
  // each reply (the load balancer strips it and knows whose reply it is).
  std::array<uint8_t, pp::kSppLength> spp_header{};
  bool closed = false;  // socket closed; memory freed after this loop turn
  // The target has replied; once the client sends again after that, the
  // session is confirmed: it exchanges traffic, and a new session does not
  // evict it (udp_worker.h, probation_ and confirmed_).
  bool replied = false;
  bool confirmed = false;
  // Its place in the worker's list (ListOf), oldest activity first.
  std::list<std::unique_ptr<UdpSession>>::iterator position;
};

}  // namespace mmproxy::dataplane
