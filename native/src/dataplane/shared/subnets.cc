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

bool SubnetList::Parse(const std::vector<std::string>& cidrs, SubnetList* out, std::string* bad) {
  out->prefixes_.clear();
  for (const std::string& cidr : cidrs) {
    size_t slash = cidr.find('/');
    Address address;
    if (slash == std::string::npos || !Address::FromIp(cidr.substr(0, slash), 0, &address)) {
      *bad = cidr;
      return false;
    }
    unsigned max_bits = address.is_v4() ? 32 : 128;
    unsigned long bits = std::strtoul(cidr.c_str() + slash + 1, nullptr, 10);
    if (bits > max_bits) {
      *bad = cidr;
      return false;
    }
    Prefix prefix{address.family(), {}, static_cast<unsigned>(bits)};
    std::memcpy(prefix.bytes.data(), address.ip_bytes(), max_bits / 8);
    out->prefixes_.push_back(prefix);
  }
  return true;
}

bool SubnetList::Allows(const Address& peer) const {
  if (prefixes_.empty()) return true;
  const uint8_t* bytes = peer.ip_bytes();
  for (const Prefix& prefix : prefixes_) {
    if (prefix.family == peer.family() && PrefixMatches(prefix.bytes.data(), bytes, prefix.bits)) {
      return true;
    }
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
