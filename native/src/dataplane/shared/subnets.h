// Allowed subnets, parsed once into binary prefixes. An empty list allows
// every peer (go-mmproxy's behaviour without -allowed-subnets).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "os/address.h"

namespace mmproxy::dataplane {

// One prefix in binary form ("192.0.2.0/24"), validated by TypeScript.
struct IpPrefix {
  sa_family_t family = AF_INET;
  std::array<uint8_t, 16> bytes{};
  unsigned bits = 0;

  // "ip/len"; false when it is not one.
  static bool Parse(const std::string& cidr, IpPrefix* out);
  // `address` must already be normalised (IPv4-mapped turned into IPv4).
  bool Contains(const Address& address) const;
};

class SubnetList {
 public:
  // Each entry is "ip/len", validated by TypeScript; returns false and names
  // the offending entry in *bad otherwise.
  static bool Parse(const std::vector<std::string>& cidrs, SubnetList* out, std::string* bad);

  // `peer` must already be normalised (IPv4-mapped turned into IPv4).
  bool Allows(const Address& peer) const;

 private:
  std::vector<IpPrefix> prefixes_;
};

// Hands the current list to workers. A worker keeps its own shared_ptr and
// only takes the lock when the generation moved, so the accept path reads one
// atomic in the common case.
class SubnetHolder {
 public:
  void Replace(std::shared_ptr<const SubnetList> list);
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }
  std::shared_ptr<const SubnetList> Current() const;

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const SubnetList> list_ = std::make_shared<SubnetList>();
  std::atomic<uint64_t> generation_{0};
};

}  // namespace mmproxy::dataplane
