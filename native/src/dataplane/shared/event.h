// One log-worthy happening, built on a worker thread and turned into a
// DataPlaneEvent object on the JavaScript thread (event_sink.cc).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "os/address.h"

namespace mmproxy::dataplane {

enum class Level : uint8_t { kError, kWarn, kInfo, kDebug };

struct Event {
  Level level = Level::kInfo;
  const char* kind = "";  // static strings only: a FailureReason label, "flow_closed", ...
  std::string message;
  uint64_t flow_id = 0;  // 0: not about one flow
  std::optional<Address> load_balancer;
  std::optional<Address> client;
  std::optional<Address> target;
  std::string code;
  std::optional<uint64_t> bytes_to_target;
  std::optional<uint64_t> bytes_to_client;
  std::optional<uint64_t> duration_ms;
};

inline Event NewEvent(Level level, const char* kind, std::string message) {
  Event event;
  event.level = level;
  event.kind = kind;
  event.message = std::move(message);
  return event;
}

using EventBatch = std::vector<Event>;

}  // namespace mmproxy::dataplane
