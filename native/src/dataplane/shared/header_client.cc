#include "dataplane/shared/header_client.h"

namespace mmproxy::dataplane {

std::optional<Address> HeaderClient(const pp::Header& header) {
  if (header.UsesRealConnection()) return std::nullopt;
  if (header.family != pp::Family::kInet && header.family != pp::Family::kInet6) return std::nullopt;
  return Address::FromKernel(header.source);
}

bool IsUnicastClient(const Address& client) {
  if (client.port() == 0) return false;
  const uint8_t* ip = client.ip_bytes();
  if (client.is_v4()) {
    bool this_network = ip[0] == 0;           // 0.0.0.0/8
    bool multicast = (ip[0] & 0xf0) == 0xe0;  // 224.0.0.0/4
    bool broadcast = ip[0] == 255 && ip[1] == 255 && ip[2] == 255 && ip[3] == 255;
    return !this_network && !multicast && !broadcast;
  }
  bool multicast = ip[0] == 0xff;  // ff00::/8
  bool unspecified = true;
  for (int i = 0; i < 16; ++i) unspecified = unspecified && ip[i] == 0;
  return !multicast && !unspecified;
}

std::string NotUnicastReason(const Address& client) {
  return "its client " + client.ToString() +
         " is not an address and port a client connects from (unspecified, multicast, broadcast or port 0)";
}

}  // namespace mmproxy::dataplane
