// The client a parsed PROXY header names, and whether a real client could
// have connected from it: the checks shared by the TCP and UDP workers.
#pragma once

#include <optional>
#include <string>

#include "os/address.h"
#include "proxy_header/parser.h"

namespace mmproxy::dataplane {

// The address:port to connect from; none for LOCAL and UNKNOWN headers and
// UNIX-socket clients, which connect from our own address (as go-mmproxy).
std::optional<Address> HeaderClient(const pp::Header& header);

// False for what no client connects from: the unspecified address (0.0.0.0/8,
// ::), multicast, the IPv4 broadcast address, or port 0. Binding to them
// either fails or spoofs a group; the header is a lie or a bug.
bool IsUnicastClient(const Address& client);

// Why such a header is refused, for the event.
std::string NotUnicastReason(const Address& client);

}  // namespace mmproxy::dataplane
