// What every worker of one DataPlane shares: the configuration, the allowed
// subnets, the connection count that maxConnections limits, flow ids, whether
// the process is out of descriptors, the 4-tuples UDP sessions hold, and the
// way to JavaScript.
#pragma once

#include <atomic>
#include <cstdint>

#include "dataplane/shared/address_collision.h"
#include "dataplane/shared/config.h"
#include "dataplane/shared/event.h"
#include "dataplane/shared/resource_exhaustion.h"
#include "dataplane/shared/subnets.h"

namespace mmproxy::dataplane {

struct SharedState {
  explicit SharedState(Config config_in) : config(std::move(config_in)) {}

  const Config config;
  SubnetHolder subnets;
  std::atomic<int64_t> active{0};
  // The pool's counter: flow ids are unique across its planes.
  std::atomic<uint64_t>* next_flow_id = nullptr;  // set before the workers attach
  ResourceExhaustion exhaustion;
  TupleTable udp_tuples;
  EventOutlet* events = nullptr;  // set before the workers start, outlives them
};

}  // namespace mmproxy::dataplane
