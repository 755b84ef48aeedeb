#include "dataplane/address.h"

#include <arpa/inet.h>

#include <cstring>

namespace mmproxy::dataplane {

uint16_t Address::port() const {
  if (is_v4()) return ntohs(reinterpret_cast<const sockaddr_in*>(&storage)->sin_port);
  return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_port);
}

std::string Address::ip() const {
  char text[INET6_ADDRSTRLEN] = {};
  if (is_v4()) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage)->sin_addr, text, sizeof text);
  } else {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_addr, text, sizeof text);
  }
  return text;
}

std::string Address::ToString() const {
  std::string port_text = std::to_string(port());
  return is_v4() ? ip() + ":" + port_text : "[" + ip() + "]:" + port_text;
}

bool Address::FromIp(const std::string& ip, uint16_t port, Address* out) {
  *out = Address{};
  auto* v4 = reinterpret_cast<sockaddr_in*>(&out->storage);
  if (inet_pton(AF_INET, ip.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    return true;
  }
  *out = Address{};
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&out->storage);
  if (inet_pton(AF_INET6, ip.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    return true;
  }
  return false;
}

Address Address::FromKernel(const sockaddr_storage& storage) {
  Address out;
  out.storage = storage;
  if (storage.ss_family != AF_INET6) return out;
  const auto& v6 = reinterpret_cast<const sockaddr_in6&>(storage);
  if (!IN6_IS_ADDR_V4MAPPED(&v6.sin6_addr)) return out;
  out.storage = sockaddr_storage{};
  auto& v4 = reinterpret_cast<sockaddr_in&>(out.storage);
  v4.sin_family = AF_INET;
  v4.sin_port = v6.sin6_port;
  std::memcpy(&v4.sin_addr, &v6.sin6_addr.s6_addr[12], sizeof v4.sin_addr);
  return out;
}

}  // namespace mmproxy::dataplane
