// Running out of descriptors (or memory) is a state of the whole process:
// every worker meets it at once. This decides which worker says so, so that
// the log has one warning however many workers and connections meet it, and
// one line when connections get through again, in that order.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>

namespace mmproxy::dataplane {

// EMFILE, ENFILE, ENOBUFS, ENOMEM: the errors that mean "no descriptor or
// memory for a new socket now", which waiting may cure.
bool OutOfResources(int error);

class ResourceExhaustion {
 public:
  // Under lasting exhaustion, workers flap between paused and getting a
  // connection through; one warning (and one "again") per interval is
  // enough for the log.
  static constexpr int64_t kWarningIntervalMs = 10'000;

  // A worker met EMFILE/ENFILE/ENOBUFS/ENOMEM. The first to meet it calls
  // `warn`, at most once per interval. Reports run under the lock: a
  // report posted there reaches JavaScript before the next one.
  template <typename Report>
  void Enter(int64_t now_ms, Report&& warn) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (exhausted_.load(std::memory_order_relaxed)) return;
    exhausted_.store(true, std::memory_order_relaxed);
    if (now_ms < next_warning_ms_) return;
    next_warning_ms_ = now_ms + kWarningIntervalMs;
    warned_ = true;
    warn();
  }

  // A connection got both its sockets. The first after a warning calls
  // `again`. One relaxed load when all is well.
  template <typename Report>
  void Leave(Report&& again) {
    if (!exhausted_.load(std::memory_order_relaxed)) return;
    std::lock_guard<std::mutex> lock(mutex_);
    if (!exhausted_.load(std::memory_order_relaxed)) return;
    exhausted_.store(false, std::memory_order_relaxed);
    if (!warned_) return;
    warned_ = false;
    again();
  }

 private:
  std::mutex mutex_;
  std::atomic<bool> exhausted_{false};  // written under mutex_, read without it first
  bool warned_ = false;                 // guarded by mutex_
  int64_t next_warning_ms_ = 0;         // guarded by mutex_
};

}  // namespace mmproxy::dataplane
