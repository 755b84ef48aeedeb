#include "proxy_header/spp.h"

#include <cstring>

namespace mmproxy::pp {
namespace {

constexpr size_t kClientAddressAt = 2;
constexpr size_t kProxyAddressAt = 18;
constexpr size_t kClientPortAt = 34;
constexpr size_t kProxyPortAt = 36;
constexpr size_t kAddressLength = 16;
// ::ffff:0:0/96, RFC 4291 section 2.5.5.2.
constexpr uint8_t kV4MappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

// `port` is the two bytes as sent: already network order.
void ReadEndpoint(const uint8_t* address, const uint8_t* port, sockaddr_storage* out) {
  *out = {};
  if (std::memcmp(address, kV4MappedPrefix, sizeof kV4MappedPrefix) == 0) {
    auto* v4 = reinterpret_cast<sockaddr_in*>(out);
    v4->sin_family = AF_INET;
    std::memcpy(&v4->sin_addr, address + sizeof kV4MappedPrefix, sizeof v4->sin_addr);
    std::memcpy(&v4->sin_port, port, sizeof v4->sin_port);
    return;
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(out);
  v6->sin6_family = AF_INET6;
  std::memcpy(&v6->sin6_addr, address, kAddressLength);
  std::memcpy(&v6->sin6_port, port, sizeof v6->sin6_port);
}

}  // namespace

bool HasSppMagic(const uint8_t* data, size_t length) {
  return length >= 2 && data[0] == (kSppMagic >> 8) && data[1] == (kSppMagic & 0xff);
}

SppStatus ParseSpp(const uint8_t* data, size_t length, SppHeader* header) {
  if (!HasSppMagic(data, length)) return SppStatus::kNotSpp;
  if (length < kSppLength) return SppStatus::kTruncated;
  ReadEndpoint(data + kClientAddressAt, data + kClientPortAt, &header->client);
  ReadEndpoint(data + kProxyAddressAt, data + kProxyPortAt, &header->proxy);
  return SppStatus::kComplete;
}

}  // namespace mmproxy::pp
