// Counters of one worker: plain atomics written only by that worker (relaxed,
// so the byte path pays no fence) and summed by JavaScript on demand.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "proxy_header/error_codes.h"

namespace mmproxy::dataplane {

// FAILURE_REASONS in src/base/flows.ts, in this order: the addon exports
// these labels (dataplane/binding/contract.cc) and a test holds them equal.
#define MMPROXY_FAILURES(X)                      \
  X(kNotAllowed, "not_allowed")                  \
  X(kHeaderTimeout, "header_timeout")            \
  X(kBadHeader, "bad_header")                    \
  X(kConnectTimeout, "connect_timeout")          \
  X(kConnectRefused, "connect_refused")          \
  X(kAddressInUse, "address_in_use")             \
  X(kConnectError, "connect_error")              \
  X(kRelayError, "relay_error")                  \
  X(kTooManyConnections, "too_many_connections") \
  X(kNoTarget, "no_target")                      \
  X(kPeerTimeout, "peer_timeout")                \
  X(kLocalClient, "local_client")                \
  X(kDestinationNotAllowed, "destination_not_allowed")

enum class Failure : uint8_t {
#define MMPROXY_FAILURE_ENUM(name, label) name,
  MMPROXY_FAILURES(MMPROXY_FAILURE_ENUM)
#undef MMPROXY_FAILURE_ENUM
      kCount
};

constexpr size_t kFailureCount = static_cast<size_t>(Failure::kCount);
const char* FailureLabel(Failure failure);

// Not a parser verdict: the load balancer closed mid-header. Counted in the
// extra slot after the parser's codes.
constexpr const char* kTruncatedHeaderCode = "ERR_HEADER_TRUNCATED";
constexpr size_t kTruncatedHeaderSlot = pp::kErrorCodeCount;
// Not a parser verdict either: a well-formed v1 header, which cannot describe
// a datagram. UDP only.
constexpr const char* kV1OverUdpCode = "ERR_V1_OVER_UDP";
constexpr size_t kV1OverUdpSlot = pp::kErrorCodeCount + 1;
// Not a parser verdict either: a v2 PROXY header whose transport is not the
// listener's (STREAM over UDP, DGRAM over TCP). go-mmproxy refuses these too;
// relaying them would spoof a client of another protocol.
constexpr const char* kWrongTransportCode = "ERR_V2_WRONG_TRANSPORT";
constexpr size_t kWrongTransportSlot = pp::kErrorCodeCount + 2;
// Not a parser verdict either: a well-formed header whose client address is
// unspecified, multicast or broadcast, or whose port is 0 (header_client.h).
constexpr const char* kClientNotUnicastCode = "ERR_CLIENT_NOT_UNICAST";
constexpr size_t kClientNotUnicastSlot = pp::kErrorCodeCount + 3;
// UDP, --udp-header spp: a datagram that does not start with the SPP magic.
constexpr const char* kNotSppCode = "ERR_NOT_SPP";
constexpr size_t kNotSppSlot = pp::kErrorCodeCount + 4;
// UDP, --udp-header first: a bare datagram from a load balancer address:port
// with no session, so no header has said whose it is (its flow's first
// datagram was lost or came later, or the session expired).
constexpr const char* kHeaderlessCode = "ERR_HEADERLESS_NO_SESSION";
constexpr size_t kHeaderlessSlot = pp::kErrorCodeCount + 5;
// UDP, --udp-header first: a header naming another client than the one the
// flow's first datagram named, and every datagram of that flow after it
// until it has been silent for closeAfter (dataplane/udp/udp_worker_first.cc).
constexpr const char* kHeaderChangedCode = "ERR_HEADER_CHANGED";
constexpr size_t kHeaderChangedSlot = pp::kErrorCodeCount + 6;
constexpr size_t kBadHeaderSlots = pp::kErrorCodeCount + 7;

using Counter = std::atomic<uint64_t>;

// Single writer: a load and a store, no locked read-modify-write.
inline void Bump(Counter& counter, uint64_t amount = 1) {
  counter.store(counter.load(std::memory_order_relaxed) + amount, std::memory_order_relaxed);
}

// Upper bounds (inclusive, Prometheus `le`) of the upstream connect-duration
// buckets, in microseconds. 0.1-1 ms: loopback and same-host targets; 1-50 ms:
// a LAN or nearby datacenter; 100-500 ms: far away or a busy accept queue;
// 1000-5000 ms: a lost SYN or SYN-ACK, retransmitted after the kernel's 1 s
// initial RTO, up to the default --connect-timeout of 5 s. Anything slower
// lands in the +Inf bucket.
constexpr std::array<uint64_t, 15> kConnectBucketBoundsUs = {
    100,    250,     500,     1'000,   2'500,     5'000,     10'000,   25'000,
    50'000, 100'000, 250'000, 500'000, 1'000'000, 2'500'000, 5'000'000};
// One count per bound plus the +Inf bucket.
constexpr size_t kConnectBucketCount = kConnectBucketBoundsUs.size() + 1;

// ConnectDurations summed over all workers, for one counters() call.
struct ConnectDurationTotals {
  std::array<uint64_t, kConnectBucketCount> buckets{};  // not cumulative
  uint64_t sum_us = 0;
};

// UDP: what the headers in front of the datagrams were (--udp-header).
struct UdpHeaderTotals {
  uint64_t proxy_v2 = 0;        // datagrams relayed under a PROXY v2 header
  uint64_t spp = 0;             // under an SPP header
  uint64_t bare = 0;            // without one, as the client their flow's first header named
  uint64_t spp_sessions = 0;    // sessions opened by an SPP header
  uint64_t header_changes = 0;  // flows refused for naming a new client mid-flow
};

struct UdpHeaderCounters {
  Counter proxy_v2{0};
  Counter spp{0};
  Counter bare{0};
  Counter spp_sessions{0};
  Counter header_changes{0};

  void AddTo(UdpHeaderTotals* totals) const;
};

// Plain sums over all workers, for one counters() call.
struct CounterTotals {
  uint64_t accepted = 0;
  uint64_t established = 0;
  uint64_t completed = 0;
  uint64_t local_headers = 0;
  uint64_t bytes_to_target = 0;
  uint64_t bytes_to_client = 0;
  uint64_t accept_errors = 0;
  uint64_t events_dropped = 0;
  uint64_t sessions_evicted = 0;
  uint64_t datagrams_dropped = 0;
  uint64_t collision_fallbacks = 0;
  UdpHeaderTotals udp_headers;
  std::array<uint64_t, kFailureCount> failures{};
  std::array<uint64_t, kBadHeaderSlots> bad_headers{};
  ConnectDurationTotals connect_durations;
};

// Durations of upstream connects that succeeded (failed ones are counted by
// reason instead). No separate count: the total is the sum of the buckets,
// so a reader racing the worker still sees count == +Inf bucket.
struct ConnectDurations {
  std::array<Counter, kConnectBucketCount> buckets{};
  Counter sum_us{0};

  void Observe(uint64_t duration_us);
  void AddTo(ConnectDurationTotals* totals) const;
};

struct WorkerCounters {
  Counter accepted{0};
  Counter established{0};
  Counter completed{0};
  Counter local_headers{0};
  Counter bytes_to_target{0};
  Counter bytes_to_client{0};
  Counter accept_errors{0};
  Counter events_dropped{0};
  // UDP: sessions closed early to make room under maxSessions.
  Counter sessions_evicted{0};
  // UDP: datagrams lost on the way (oversize, or a full socket buffer).
  Counter datagrams_dropped{0};
  // Flows whose client address:port was taken for their target, connected
  // from an ephemeral port instead (CollisionPolicy::kEphemeralPort).
  Counter collision_fallbacks{0};
  UdpHeaderCounters udp_headers;
  std::array<Counter, kFailureCount> failures{};
  // Indexed by pp::ErrorCode, then the slots above.
  std::array<Counter, kBadHeaderSlots> bad_headers{};
  ConnectDurations connect_durations;

  void Fail(Failure failure) { Bump(failures[static_cast<size_t>(failure)]); }
  void AddTo(CounterTotals* totals) const;
};

// "ERR_V1_TOO_LONG", ... for an index of WorkerCounters::bad_headers.
const char* BadHeaderCode(size_t index);

}  // namespace mmproxy::dataplane
