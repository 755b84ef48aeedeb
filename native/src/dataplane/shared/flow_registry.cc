#include "dataplane/shared/flow_registry.h"

namespace mmproxy::dataplane {

void FlowRegistry::Insert(FlowInfo* info) {
  std::lock_guard<std::mutex> lock(mutex_);
  info->prev = nullptr;
  info->next = head_;
  if (head_ != nullptr) head_->prev = info;
  head_ = info;
}

void FlowRegistry::Remove(FlowInfo* info) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (info->prev != nullptr) info->prev->next = info->next;
  if (info->next != nullptr) info->next->prev = info->prev;
  if (head_ == info) head_ = info->next;
  info->prev = info->next = nullptr;
}

void FlowRegistry::SetEndpoints(FlowInfo* info, const std::optional<Address>& client, const Address& target) {
  std::lock_guard<std::mutex> lock(mutex_);
  info->client = client;
  info->target = target;
}

void FlowRegistry::AppendTo(std::vector<FlowSnapshot>* out) const {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const FlowInfo* info = head_; info != nullptr; info = info->next) {
    out->push_back(FlowSnapshot{info->id, info->worker, info->udp,
                                info->state.load(std::memory_order_relaxed), info->load_balancer,
                                info->client, info->target, info->started_at_ms,
                                info->bytes_to_target.load(std::memory_order_relaxed),
                                info->bytes_to_client.load(std::memory_order_relaxed)});
  }
}

}  // namespace mmproxy::dataplane
