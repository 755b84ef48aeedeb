// What flows() shows of one flow, TCP connection or UDP session alike: who
// it is for, its state and its byte counts.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>

#include "dataplane/shared/enum_names.h"
#include "os/address.h"

namespace mmproxy::dataplane {

enum class FlowState : uint8_t { kHeader, kConnecting, kEstablished, kHalfClosed, kClosing };
// FlowState in src/base/flows.ts.
inline constexpr EnumNames<FlowState, 5> kFlowStateNames{
    {"header", "connecting", "established", "half_closed", "closing"}};
static_assert(static_cast<size_t>(FlowState::kClosing) + 1 == kFlowStateNames.names.size());

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

}  // namespace mmproxy::dataplane
