// Which datagrams share a UDP session, by --udp-header mode. Where every
// datagram names its client (every, spp, auto), a session is one client of
// one load balancer address:port: a sender such as dnsdist relays many
// clients from one socket. Under `first` only the flow's first datagram
// names the client, so a session is the load balancer's address:port alone,
// and the senders that use it give each client flow a port of its own.
#pragma once

#include <optional>
#include <string>

#include "dataplane/shared/config.h"
#include "os/address.h"

namespace mmproxy::dataplane {

inline bool KeysByClient(UdpHeaderMode mode) { return mode != UdpHeaderMode::kFirst; }

// `client`: none for LOCAL headers, and for the bare datagrams of `first`.
inline std::string SessionKey(UdpHeaderMode mode, const Address& load_balancer,
                              const std::optional<Address>& client) {
  std::string key;
  load_balancer.AppendKey(&key);
  if (client && KeysByClient(mode)) client->AppendKey(&key);
  return key;
}

}  // namespace mmproxy::dataplane
