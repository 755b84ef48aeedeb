// Parses a numeric IPv4/IPv6 address and port into a sockaddr_storage.
#pragma once

#include <sys/socket.h>

#include <string>

namespace mmproxy::probe {

struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;
  int family = 0;
};

// Returns false when `address` is not a numeric IPv4 or IPv6 address.
bool ParseSocketAddress(const std::string& address, int port, SocketAddress* out);

}  // namespace mmproxy::probe
