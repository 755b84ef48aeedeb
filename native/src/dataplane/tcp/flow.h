// One proxied TCP connection: the load balancer's socket (client half) and
// the upstream socket to the target (target half), from accept to close.
#pragma once

#include <cstdint>
#include <vector>

#include "dataplane/shared/flow_info.h"
#include "dataplane/tcp/half.h"

namespace mmproxy::dataplane {

// Where a flow's bytes move (worker_fast.cc): user space's relay, or the
// kernel's sockhash (tcp/fast_path.h), leg by leg (FastLeg), until a FIN or
// error brings the whole flow back, for good.
enum class FastStage : uint8_t {
  kRelay,     // the relay; may be promoted once both halves are drained
  kPromoted,  // in the maps; each leg the kernel's or, while its destination is behind, the relay's
  kDraining,  // program passing, not redirecting; waiting for redirected bytes to reach their send queues
  kNever,     // the relay for good: demoted, or promotion failed or is off
};

inline constexpr uint64_t kUnderBound = UINT64_MAX;

// One direction of a promoted flow: the kernel's, or, after its destination
// fell behind, the relay's until the relay has caught up, then the kernel's
// again (worker_fast.cc).
enum class FastLeg : uint8_t {
  kKernel,    // the program redirects
  kFlushing,  // the program passes; redirected bytes still on their way to the destination
  kRelay,     // the program passes; the relay moves those bytes
  kResuming,  // as kRelay, until the program finds every passed byte delivered and redirects again
};

// The fast path's part of a flow. Direction d: 0 client -> target, 1 target -> client.
struct FastFlow {
  FastStage stage = FastStage::kRelay;
  bool broken = false;       // a socket reported an error or hang-up while in the maps
  uint32_t reads = 0;        // relay reads that moved bytes, while kRelay (Config::fast_path_after_reads)
  int attached = 0;          // its sockets in the program's map, which they leave only when closed
  uint64_t cookie[2] = {};   // SO_COOKIE of direction d's source: client, target
  uint32_t slot[2] = {};     // direction d's slot in the maps (tcp/fast_path.h)
  uint64_t base[2] = {};     // bytes written to direction d's destination when promoted (acked + queued)
  uint64_t written[2] = {};  // bytes the program put in direction d's destination since, accounted
  uint64_t relayed[2] = {};  // bytes the relay wrote to direction d's destination since (the passed ones)
  FastLeg leg[2] = {FastLeg::kKernel, FastLeg::kKernel};
  // written[d] when the watchdog last found direction d's backlog over its
  // bound; kUnderBound while it is under (worker_fast.cc).
  uint64_t over_at[2] = {kUnderBound, kUnderBound};
};

struct Flow {
  Half client;  // the load balancer's connection
  Half target;  // our connection to the target
  FlowInfo info;
  // Header bytes so far, only while a header arrives in pieces.
  std::vector<uint8_t> partial_header;
  // How often the header was parsed, and how many bytes it had the last time
  // (worker_header.cc parses a header in many pieces less and less often).
  uint32_t header_parses = 0;
  size_t header_parsed_length = 0;
  int64_t started_steady_ms = 0;
  int64_t deadline_ms = 0;  // header or connect deadline (steady clock)
  // When the upstream connect started (steady clock, µs): for the histogram.
  int64_t connect_started_us = 0;
  FastFlow fast;
  bool local = false;   // LOCAL / UNKNOWN header: connect from our own address
  bool queued = false;  // on the worker's list of flows that yielded
  bool closed = false;  // sockets closed; memory freed after this loop turn
};

}  // namespace mmproxy::dataplane
