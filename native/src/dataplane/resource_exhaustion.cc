#include "dataplane/resource_exhaustion.h"

#include <cerrno>

namespace mmproxy::dataplane {

bool OutOfResources(int error) {
  return error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM;
}

bool ResourceExhaustion::Enter(int64_t now_ms) {
  if (exhausted_.exchange(true, std::memory_order_acq_rel)) return false;  // another worker was first
  int64_t next = next_warning_ms_.load(std::memory_order_relaxed);
  if (now_ms < next) return false;
  if (!next_warning_ms_.compare_exchange_strong(next, now_ms + kWarningIntervalMs, std::memory_order_relaxed)) {
    return false;
  }
  warned_.store(true, std::memory_order_release);
  return true;
}

bool ResourceExhaustion::Leave() {
  if (!exhausted_.load(std::memory_order_relaxed)) return false;
  if (!exhausted_.exchange(false, std::memory_order_acq_rel)) return false;
  return warned_.exchange(false, std::memory_order_acq_rel);
}

}  // namespace mmproxy::dataplane
