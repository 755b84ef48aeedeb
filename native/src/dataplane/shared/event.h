// One log-worthy happening, built on a worker thread and turned into a
// DataPlaneEvent object on the JavaScript thread (binding/event_sink.cc).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "dataplane/shared/counters.h"
#include "dataplane/shared/enum_names.h"
#include "os/address.h"

namespace mmproxy::dataplane {

enum class Level : uint8_t { kError, kWarn, kInfo, kDebug };
// DataPlaneEventLevel in src/base/flows.ts.
inline constexpr EnumNames<Level, 4> kLevelNames{{"error", "warn", "info", "debug"}};
static_assert(static_cast<size_t>(Level::kDebug) + 1 == kLevelNames.names.size());

// What an event is about when it is not a failure (a failure's kind is its
// reason, FailureLabel()).
enum class EventKind : uint8_t {
  kListening,           // start(): where the listeners are bound
  kAcceptError,         // accept() failed for another reason than descriptors
  kAcceptBackoff,       // out of descriptors: accepting paused, and resumed
  kWorkerError,         // a worker's loop failed and the worker stopped
  kFlowClosed,          // debug: a flow ended, with its byte counts
  kClosedBeforeHeader,  // debug: the load balancer closed before a header
  kCollisionFallback,   // connected from an ephemeral port after a collision
  kDatagramDropped,     // UDP: a datagram too large or a full socket buffer
  kSessionEvicted,      // UDP: the longest-idle session made room
};
// DataPlaneEventKind in src/base/flows.ts, beyond the failure reasons.
inline constexpr EnumNames<EventKind, 9> kEventKindNames{
    {"listening", "accept_error", "accept_backoff", "worker_error", "flow_closed", "closed_before_header",
     "collision_fallback", "datagram_dropped", "session_evicted"}};
static_assert(static_cast<size_t>(EventKind::kSessionEvicted) + 1 == kEventKindNames.names.size());

// An event's kind: a failure reason or an EventKind and nothing else, so the
// kinds JavaScript sees are the ones the addon exports (failureReasons and
// eventKinds). Implicit on purpose: call sites pass Failure::kNoTarget or
// EventKind::kListening.
class Kind {
 public:
  Kind(Failure failure) : name_(FailureLabel(failure)) {}
  Kind(EventKind kind) : name_(kEventKindNames(kind)) {}
  const char* name() const { return name_; }

 private:
  const char* name_;
};

struct Event {
  Level level = Level::kInfo;
  const char* kind = "";  // Kind::name(): a failure reason or an EventKind's name
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

inline Event NewEvent(Level level, Kind kind, std::string message) {
  Event event;
  event.level = level;
  event.kind = kind.name();
  event.message = std::move(message);
  return event;
}

using EventBatch = std::vector<Event>;

// Where the workers' batches go: to JavaScript (binding/event_sink.h), which
// workers need not know. Post() is called from any thread and returns false
// when the batch was dropped.
class EventOutlet {
 public:
  virtual ~EventOutlet() = default;
  virtual bool Post(EventBatch batch) = 0;
};

}  // namespace mmproxy::dataplane
