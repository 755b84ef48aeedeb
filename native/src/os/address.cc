#include "os/address.h"

#include <arpa/inet.h>

#include <cstring>

namespace mmproxy {

std::string Address::ip() const {
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(family(), ip_bytes(), text, sizeof text);
  return text;
}

std::string Address::ToString() const {
  std::string port_text = std::to_string(port());
  return is_v4() ? ip() + ":" + port_text : "[" + ip() + "]:" + port_text;
}

void Address::AppendKey(std::string* key) const {
  key->push_back(static_cast<char>(family()));
  key->append(reinterpret_cast<const char*>(ip_bytes()), is_v4() ? 4 : 16);
  uint16_t port_number = port();
  key->append(reinterpret_cast<const char*>(&port_number), sizeof port_number);
}

bool Address::FromIp(const std::string& ip, uint16_t port, Address* out) {
  *out = Address{};
  if (inet_pton(AF_INET, ip.c_str(), &out->sa.v4.sin_addr) == 1) {
    out->sa.v4.sin_family = AF_INET;
    out->sa.v4.sin_port = htons(port);
    return true;
  }
  *out = Address{};
  if (inet_pton(AF_INET6, ip.c_str(), &out->sa.v6.sin6_addr) == 1) {
    out->sa.v6.sin6_family = AF_INET6;
    out->sa.v6.sin6_port = htons(port);
    return true;
  }
  return false;
}

Address Address::FromKernel(const sockaddr_storage& storage) {
  Address out;
  if (storage.ss_family == AF_INET) {
    std::memcpy(&out.sa.v4, &storage, sizeof out.sa.v4);
    return out;
  }
  std::memcpy(&out.sa.v6, &storage, sizeof out.sa.v6);
  if (!IN6_IS_ADDR_V4MAPPED(&out.sa.v6.sin6_addr)) return out;
  Address mapped;
  mapped.sa.v4.sin_family = AF_INET;
  mapped.sa.v4.sin_port = out.sa.v6.sin6_port;
  std::memcpy(&mapped.sa.v4.sin_addr, &out.sa.v6.sin6_addr.s6_addr[12], sizeof mapped.sa.v4.sin_addr);
  return mapped;
}

}  // namespace mmproxy
