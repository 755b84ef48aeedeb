// One proxied TCP connection: the load balancer's socket (client half) and
// the upstream socket to the target (target half), from accept to close.
#pragma once

#include <cstdint>
#include <vector>

#include "dataplane/shared/flow_info.h"
#include "dataplane/tcp/half.h"

namespace mmproxy::dataplane {

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
  bool local = false;   // LOCAL / UNKNOWN header: connect from our own address
  bool queued = false;  // on the worker's list of flows that yielded
  bool closed = false;  // sockets closed; memory freed after this loop turn
};

}  // namespace mmproxy::dataplane
