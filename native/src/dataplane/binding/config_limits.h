// The ranges of the numeric fields of DataPlaneConfig: the one table of
// them. ConfigFromJs rejects a value outside its range (never truncates or
// wraps it), as does the doctor's probe for the mark. The addon exports the
// table as dataPlaneConfigLimits; src/base/dataplane-limits.ts is the CLI's
// copy (setup-routing runs without the addon), held equal to this one by
// test/unit/native/contract.test.ts.
// Every bound is an integer JavaScript holds exactly (at most 2^53 - 1).
#pragma once

#include <array>
#include <cstdint>

namespace mmproxy::dataplane {

struct ConfigLimit {
  const char* field;  // as DataPlaneConfig names it
  uint64_t min;
  uint64_t max;
};

// A day: no header, connect or idle session needs longer; a longer value is
// a typo (milliseconds for seconds), and the epoll timeout stays an int.
inline constexpr uint64_t kDayMs = 24 * 3'600'000;

// SO_MARK takes 32 bits; 0 leaves it unset.
inline constexpr ConfigLimit kMarkLimit{"mark", 0, 0xffff'ffff};
// One thread and one SO_REUSEPORT listener each; past the cores of any
// machine this runs on, more only contend.
inline constexpr ConfigLimit kListenersLimit{"listeners", 1, 1024};
// Above zero: a flow always gets a deadline.
inline constexpr ConfigLimit kHeaderTimeoutLimit{"headerTimeoutMs", 1, kDayMs};
inline constexpr ConfigLimit kConnectTimeoutLimit{"connectTimeoutMs", 1, kDayMs};
// 0: no limit. Counted in 32 bits; each connection is two descriptors, so
// RLIMIT_NOFILE binds long before.
inline constexpr ConfigLimit kMaxConnectionsLimit{"maxConnections", 0, 0xffff'ffff};
// UDP. 0 closes a session at the first expiry check after its datagram.
inline constexpr ConfigLimit kCloseAfterLimit{"closeAfterSeconds", 0, kDayMs / 1000};
// UDP; 0: no limit. Each session is a descriptor, as for maxConnections.
inline constexpr ConfigLimit kMaxSessionsLimit{"maxSessions", 0, 0xffff'ffff};
// The kernel's MAX_TCP_KEEPIDLE: TCP_KEEPIDLE gets the value itself
// (os/keepalive.h). 0: off.
inline constexpr ConfigLimit kKeepAliveLimit{"keepAliveSeconds", 0, 32'767};
// The port of every endpoint (listen, target4, target6).
inline constexpr ConfigLimit kPortLimit{"port", 0, 65'535};
// TCP, --fast-path auto: times the relay moves a flow's bytes before the
// flow may enter the kernel; 0: as soon as it is drained. Counted in 32 bits.
inline constexpr ConfigLimit kFastPathAfterLimit{"fastPathAfterReads", 0, 0xffff'ffff};

inline constexpr std::array<ConfigLimit, 10> kConfigLimits = {
    kMarkLimit,       kListenersLimit,   kHeaderTimeoutLimit, kConnectTimeoutLimit, kMaxConnectionsLimit,
    kCloseAfterLimit, kMaxSessionsLimit, kKeepAliveLimit,     kPortLimit,           kFastPathAfterLimit,
};

inline constexpr uint64_t kMaxSafeInteger = (uint64_t{1} << 53) - 1;

constexpr bool LimitsAreSound() {
  for (const ConfigLimit& limit : kConfigLimits) {
    if (limit.min > limit.max || limit.max > kMaxSafeInteger) return false;
  }
  return true;
}
static_assert(LimitsAreSound(), "every range is min <= max <= 2^53 - 1");

}  // namespace mmproxy::dataplane
