// The flows of one worker, readable from the JavaScript thread without
// stopping the loop. The lock is taken by the worker only to insert, remove,
// or fill in a flow's client and target (a few times per connection, never
// per byte) and by flows() just long enough to copy the records.
#pragma once

#include <mutex>
#include <vector>

#include "dataplane/shared/flow_info.h"

namespace mmproxy::dataplane {

// A plain copy of FlowInfo for JavaScript.
struct FlowSnapshot {
  uint64_t id;
  unsigned worker;
  bool udp;
  FlowState state;
  Address load_balancer;
  std::optional<Address> client;
  std::optional<Address> target;
  int64_t started_at_ms;
  uint64_t bytes_to_target;
  uint64_t bytes_to_client;
};

class FlowRegistry {
 public:
  void Insert(FlowInfo* info);
  void Remove(FlowInfo* info);
  void SetEndpoints(FlowInfo* info, const std::optional<Address>& client, const Address& target);
  void AppendTo(std::vector<FlowSnapshot>* out) const;

 private:
  mutable std::mutex mutex_;
  FlowInfo* head_ = nullptr;
};

}  // namespace mmproxy::dataplane
