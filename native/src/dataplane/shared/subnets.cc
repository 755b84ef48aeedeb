#include "dataplane/shared/subnets.h"

#include <cstdlib>
#include <cstring>

namespace mmproxy::dataplane {
namespace {

bool PrefixMatches(const uint8_t* prefix, const uint8_t* address, unsigned bits) {
  unsigned whole = bits / 8;
  if (std::memcmp(prefix, address, whole) != 0) return false;
  unsigned rest = bits % 8;
  if (rest == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xFF << (8 - rest));
  return (prefix[whole] & mask) == (address[whole] & mask);
}

}  // namespace

bool IpPrefix::Parse(const std::string& cidr, IpPrefix* out) {
  size_t slash = cidr.find('/');
  Address address;
  if (slash == std::string::npos || !Address::FromIp(cidr.substr(0, slash), 0, &address)) return false;
  unsigned max_bits = address.is_v4() ? 32 : 128;
  unsigned long bits = std::strtoul(cidr.c_str() + slash + 1, nullptr, 10);
  if (bits > max_bits) return false;
  out->family = address.family();
  out->bits = static_cast<unsigned>(bits);
  out->bytes = {};
  std::memcpy(out->bytes.data(), address.ip_bytes(), max_bits / 8);
  return true;
}

bool IpPrefix::Contains(const Address& address) const {
  return family == address.family() && PrefixMatches(bytes.data(), address.ip_bytes(), bits);
}

bool SubnetList::Parse(const std::vector<std::string>& cidrs, SubnetList* out, std::string* bad) {
  out->prefixes_.clear();
  for (const std::string& cidr : cidrs) {
    IpPrefix prefix;
    if (!IpPrefix::Parse(cidr, &prefix)) {
      *bad = cidr;
      return false;
    }
    out->prefixes_.push_back(prefix);
  }
  return true;
}

bool SubnetList::Allows(const Address& peer) const {
  if (prefixes_.empty()) return true;
  for (const IpPrefix& prefix : prefixes_) {
    if (prefix.Contains(peer)) return true;
  }
  return false;
}

void SubnetHolder::Replace(std::shared_ptr<const SubnetList> list) {
  std::lock_guard<std::mutex> lock(mutex_);
  list_ = std::move(list);
  generation_.fetch_add(1, std::memory_order_release);
}

std::shared_ptr<const SubnetList> SubnetHolder::Current() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return list_;
}

}  // namespace mmproxy::dataplane
