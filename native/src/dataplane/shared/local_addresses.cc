#include "dataplane/shared/local_addresses.h"

#include <ifaddrs.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

namespace mmproxy::dataplane {
namespace {

// Enough for a burst of address messages; what does not fit is ENOBUFS,
// which marks the list stale all the same.
constexpr size_t kNotificationBytes = 8192;

constexpr uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

// The IPv4 bytes of `address` (plain or IPv4-mapped IPv6), else null.
const uint8_t* V4Bytes(const Address& address) {
  if (address.is_v4()) return address.ip_bytes();
  const uint8_t* ip = address.ip_bytes();
  return std::memcmp(ip, kMappedPrefix, sizeof kMappedPrefix) == 0 ? ip + 12 : nullptr;
}

}  // namespace

bool IsLoopback(const Address& address) {
  if (const uint8_t* v4 = V4Bytes(address)) return v4[0] == 127;
  static constexpr uint8_t kLoopback6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  return std::memcmp(address.ip_bytes(), kLoopback6, sizeof kLoopback6) == 0;
}

LocalAddresses::LocalAddresses() {
  changes_ = UniqueFd(::socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE));
  if (!changes_.valid()) throw std::system_error(errno, std::generic_category(), "socket(AF_NETLINK)");
  sockaddr_nl groups{};
  groups.nl_family = AF_NETLINK;
  groups.nl_groups = RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR;
  if (::bind(changes_.get(), reinterpret_cast<sockaddr*>(&groups), sizeof groups) != 0) {
    throw std::system_error(errno, std::generic_category(), "bind(NETLINK_ROUTE address groups)");
  }
  // Subscribed first, read second: a change in between is queued, not lost.
  Reload();
}

bool LocalAddresses::Changed() {
  if (!changes_.valid()) return false;
  bool changed = false;
  char buffer[kNotificationBytes];
  for (;;) {
    ssize_t got = ::recv(changes_.get(), buffer, sizeof buffer, MSG_DONTWAIT);
    if (got > 0) {
      changed = true;
      continue;
    }
    if (got < 0 && errno == EINTR) continue;
    // ENOBUFS: notifications were lost, so something changed.
    if (got < 0 && errno == ENOBUFS) {
      changed = true;
      continue;
    }
    return changed;  // EAGAIN: all read
  }
}

void LocalAddresses::Reload() {
  ifaddrs* list = nullptr;
  // Failing (out of memory), the old list stays and the next lookup tries again.
  if (::getifaddrs(&list) != 0) return;
  v4_.clear();
  v6_.clear();
  for (const ifaddrs* entry = list; entry != nullptr; entry = entry->ifa_next) {
    if (entry->ifa_addr == nullptr) continue;
    if (entry->ifa_addr->sa_family == AF_INET) {
      const auto* in = reinterpret_cast<const sockaddr_in*>(entry->ifa_addr);
      std::array<uint8_t, 4> bytes;
      std::memcpy(bytes.data(), &in->sin_addr, bytes.size());
      v4_.push_back(bytes);
    } else if (entry->ifa_addr->sa_family == AF_INET6) {
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(entry->ifa_addr);
      std::array<uint8_t, 16> bytes;
      std::memcpy(bytes.data(), in6->sin6_addr.s6_addr, bytes.size());
      v6_.push_back(bytes);
    }
  }
  ::freeifaddrs(list);
  stale_ = false;
}

bool LocalAddresses::Contains(const Address& address) {
  if (IsLoopback(address)) return true;
  if (Changed()) stale_ = true;
  if (stale_) Reload();
  if (const uint8_t* v4 = V4Bytes(address)) {
    return std::any_of(v4_.begin(), v4_.end(),
                       [v4](const auto& bytes) { return std::memcmp(bytes.data(), v4, 4) == 0; });
  }
  const uint8_t* v6 = address.ip_bytes();
  return std::any_of(v6_.begin(), v6_.end(),
                     [v6](const auto& bytes) { return std::memcmp(bytes.data(), v6, 16) == 0; });
}

}  // namespace mmproxy::dataplane
