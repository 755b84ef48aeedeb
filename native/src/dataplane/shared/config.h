// The data plane's configuration in C++ form, converted once from the
// TypeScript DataPlaneConfig (src/native/dataplane-types.ts).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dataplane/shared/enum_names.h"
#include "dataplane/shared/subnets.h"
#include "os/address.h"
#include "os/keepalive.h"

namespace mmproxy::dataplane {

// How bytes are moved once a flow is established.
enum class RelayMode : uint8_t {
  kAuto,    // read/write for small messages, splice(2) once a read fills the buffer
  kSplice,  // splice(2) for everything
  kCopy,    // read/write only (also the fallback when splice is unsupported)
};
// RelayMode in src/base/flows.ts.
inline constexpr EnumNames<RelayMode, 3> kRelayModeNames{{"auto", "splice", "copy"}};
static_assert(static_cast<size_t>(RelayMode::kCopy) + 1 == kRelayModeNames.names.size());

// TCP: whether established flows may move into the kernel's sockhash
// (tcp/fast_path.h). Off by default: it is experimental.
enum class FastPathMode : uint8_t {
  kOff,
  kAuto,  // where BPF and the capabilities allow; else the relay, said once at start
};
// FAST_PATH_MODES in src/base/flows.ts.
inline constexpr EnumNames<FastPathMode, 2> kFastPathModeNames{{"off", "auto"}};
static_assert(static_cast<size_t>(FastPathMode::kAuto) + 1 == kFastPathModeNames.names.size());
// Relayed reads before --fast-path auto moves a flow (Config's
// fast_path_after_reads); FAST_PATH_AFTER_READS in src/base/flows.ts.
inline constexpr unsigned kDefaultFastPathAfterReads = 64;

enum class Protocol : uint8_t { kTcp, kUdp };
inline constexpr EnumNames<Protocol, 2> kProtocolNames{{"tcp", "udp"}};
static_assert(static_cast<size_t>(Protocol::kUdp) + 1 == kProtocolNames.names.size());

// What to do when the client's address:port is already connected to the
// target by another flow (two load balancers sent the same client).
enum class CollisionPolicy : uint8_t {
  kRefuse,         // fail the new flow as address_in_use
  kEphemeralPort,  // connect it from the client's address with a port the kernel picks
};
// CollisionPolicy in src/base/flows.ts.
inline constexpr EnumNames<CollisionPolicy, 2> kCollisionPolicyNames{{"refuse", "ephemeral-port"}};
static_assert(static_cast<size_t>(CollisionPolicy::kEphemeralPort) + 1 == kCollisionPolicyNames.names.size());

// UDP: where the load balancer puts the client's address
// (dataplane/udp/datagram_header.h).
enum class UdpHeaderMode : uint8_t {
  kEvery,  // a PROXY v2 header on every datagram
  kFirst,  // a PROXY v2 header on the first datagram of a flow, bare datagrams after it
  kSpp,    // Cloudflare's Simple Proxy Protocol header on every datagram
  kAuto,   // PROXY v2 or SPP on every datagram, told apart per datagram by their magic
};
// UdpHeaderMode in src/base/flows.ts.
inline constexpr EnumNames<UdpHeaderMode, 4> kUdpHeaderModeNames{{"every", "first", "spp", "auto"}};
static_assert(static_cast<size_t>(UdpHeaderMode::kAuto) + 1 == kUdpHeaderModeNames.names.size());

// -dynamic-destination: destinations a header may name
// (--dynamic-destination-allow), a prefix and a range of ports.
struct DestinationRule {
  IpPrefix prefix;
  uint16_t first_port = 1;
  uint16_t last_port = 65535;
};

struct Config {
  Protocol protocol = Protocol::kTcp;
  Address listen;
  std::optional<Address> target4;
  std::optional<Address> target6;
  unsigned mark = 0;
  std::vector<std::string> allowed_subnets;
  unsigned listeners = 1;
  unsigned header_timeout_ms = 5000;
  unsigned connect_timeout_ms = 5000;
  unsigned max_connections = 0;  // 0: no limit
  bool dynamic_destination = false;
  // -dynamic-destination: where a header may send; empty: this host's own
  // addresses only (shared/local_addresses.h), so the proxy is no open relay.
  std::vector<DestinationRule> destination_allow;
  // Relay clients a header names as this host (loopback, its own
  // addresses); refused as local_client by default.
  bool allow_local_clients = false;
  bool listen_transparent = false;
  // Join a port another process already listens on with SO_REUSEPORT.
  bool reuse_port = false;
  RelayMode relay_mode = RelayMode::kAuto;
  FastPathMode fast_path = FastPathMode::kOff;
  // --fast-path auto moves a flow only once its relay has moved bytes this
  // many times (each wake-up, each direction, once): a short request and
  // reply never pays the move (tcp/worker_fast.cc). DataPlaneConfig.fastPathAfterReads.
  unsigned fast_path_after_reads = kDefaultFastPathAfterReads;
  // TCP: dead-peer detection on both sockets of every flow; off by default.
  KeepAlive keepalive;
  // UDP: a session closes after this long without a datagram either way.
  int64_t close_after_ms = 60000;
  unsigned max_sessions = 0;  // UDP; 0: no limit
  CollisionPolicy collision = CollisionPolicy::kRefuse;
  UdpHeaderMode udp_header = UdpHeaderMode::kEvery;
  // Debug-level events (one per closed flow); off spares the work per flow.
  bool debug_events = false;
};

// Where clients of `family` go without -dynamic-destination; empty when none.
inline const std::optional<Address>& TargetFor(const Config& config, sa_family_t family) {
  return family == AF_INET ? config.target4 : config.target6;
}

}  // namespace mmproxy::dataplane
