// A socket address (IPv4 or IPv6) with the conversions the data plane needs:
// from the numeric strings TypeScript validated, to text for JavaScript, and
// IPv4-mapped IPv6 (what a dual-stack listener reports) back to plain IPv4.
// 28 bytes, not a 128-byte sockaddr_storage: every flow keeps three.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>

namespace mmproxy {

struct Address {
  union {
    sockaddr any;
    sockaddr_in v4;
    sockaddr_in6 v6;
  } sa{};

  sa_family_t family() const { return sa.any.sa_family; }
  bool is_v4() const { return family() == AF_INET; }
  socklen_t length() const { return is_v4() ? sizeof(sockaddr_in) : sizeof(sockaddr_in6); }
  const sockaddr* sockaddr_ptr() const { return &sa.any; }
  uint16_t port() const { return ntohs(is_v4() ? sa.v4.sin_port : sa.v6.sin6_port); }
  void set_port(uint16_t port) { (is_v4() ? sa.v4.sin_port : sa.v6.sin6_port) = htons(port); }
  // The address bytes: 4 for IPv4, 16 for IPv6, network order.
  const uint8_t* ip_bytes() const {
    return is_v4() ? reinterpret_cast<const uint8_t*>(&sa.v4.sin_addr) : sa.v6.sin6_addr.s6_addr;
  }
  // inet_ntop form, without brackets or port.
  std::string ip() const;
  // "192.0.2.1:80" or "[2001:db8::1]:80", for messages.
  std::string ToString() const;
  // Family, address bytes and port: a hash key without sockaddr padding.
  void AppendKey(std::string* key) const;

  // `ip` is numeric (TypeScript validated it); false when it is not.
  static bool FromIp(const std::string& ip, uint16_t port, Address* out);
  // Copies what accept()/getsockname() or the PROXY parser filled (IPv4 or
  // IPv6 only), turning ::ffff:a.b.c.d into a.b.c.d.
  static Address FromKernel(const sockaddr_storage& storage);
};

}  // namespace mmproxy
