// A socket address (IPv4 or IPv6) with the conversions the data plane needs:
// from the numeric strings TypeScript validated, to text for JavaScript, and
// IPv4-mapped IPv6 (what a dual-stack listener reports) back to plain IPv4.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>

namespace mmproxy::dataplane {

struct Address {
  sockaddr_storage storage{};

  sa_family_t family() const { return storage.ss_family; }
  bool is_v4() const { return family() == AF_INET; }
  socklen_t length() const {
    return is_v4() ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
  }
  const sockaddr* sockaddr_ptr() const { return reinterpret_cast<const sockaddr*>(&storage); }
  sockaddr* sockaddr_ptr() { return reinterpret_cast<sockaddr*>(&storage); }
  uint16_t port() const;
  // inet_ntop form, without brackets or port.
  std::string ip() const;
  // "192.0.2.1:80" or "[2001:db8::1]:80", for messages.
  std::string ToString() const;

  // `ip` is numeric (TypeScript validated it); false when it is not.
  static bool FromIp(const std::string& ip, uint16_t port, Address* out);
  // Copies what accept()/getsockname() filled, turning ::ffff:a.b.c.d into a.b.c.d.
  static Address FromKernel(const sockaddr_storage& storage);
};

}  // namespace mmproxy::dataplane
