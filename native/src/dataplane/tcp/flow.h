// One proxied TCP connection: the load balancer's socket (client half) and
// the upstream socket to the target (target half), from accept to close.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <vector>

#include "dataplane/tcp/half.h"
#include "os/address.h"

namespace mmproxy::dataplane {

// Values match FlowState in src/native/dataplane-types.ts.
enum class FlowState : uint8_t { kHeader, kConnecting, kEstablished, kHalfClosed, kClosing };
const char* FlowStateName(FlowState state);

// What flows() shows. Written by the worker, read by the JavaScript thread:
// the identity fields are written before the record is published or under
// the registry's lock; state and byte counts are atomics.
struct FlowInfo {
  uint64_t id = 0;
  unsigned worker = 0;
  bool udp = false;
  Address load_balancer;
  std::optional<Address> client;
  std::optional<Address> target;
  int64_t started_at_ms = 0;  // wall clock
  std::atomic<FlowState> state{FlowState::kHeader};
  std::atomic<uint64_t> bytes_to_target{0};
  std::atomic<uint64_t> bytes_to_client{0};

  // Intrusive list links, owned by FlowRegistry.
  FlowInfo* prev = nullptr;
  FlowInfo* next = nullptr;
};

struct Flow {
  Half client;  // the load balancer's connection
  Half target;  // our connection to the target
  FlowInfo info;
  // Header bytes so far, only while a header arrives in pieces.
  std::vector<uint8_t> partial_header;
  int64_t started_steady_ms = 0;
  int64_t deadline_ms = 0;  // header or connect deadline (steady clock)
  // When the upstream connect started (steady clock, µs): for the histogram.
  int64_t connect_started_us = 0;
  bool local = false;   // LOCAL / UNKNOWN header: connect from our own address
  bool queued = false;  // on the worker's list of flows that yielded
  bool closed = false;  // sockets closed; memory freed after this loop turn
};

}  // namespace mmproxy::dataplane
