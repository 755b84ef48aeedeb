// The worker threads data planes share: one EventLoop per thread, and the
// counter that keeps flow ids unique across every plane on them. A plane
// started without a pool makes a private one of `listeners` threads.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "dataplane/shared/event_loop.h"

namespace mmproxy::dataplane {

class WorkerPool {
 public:
  // Starts `threads` loops. Throws std::system_error when one cannot start
  // (those already started are stopped).
  explicit WorkerPool(unsigned threads);
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;
  ~WorkerPool() { Close(); }

  unsigned size() const { return size_; }
  bool closed() const { return closed_; }
  EventLoop& loop(unsigned index) { return *loops_[index]; }
  std::atomic<uint64_t>& next_flow_id() { return next_flow_id_; }

  // Stops and joins every thread (a client still attached is detached).
  // Idempotent; call it from the thread that owns the pool.
  void Close();

 private:
  const unsigned size_;
  std::vector<std::unique_ptr<EventLoop>> loops_;
  std::atomic<uint64_t> next_flow_id_{1};
  bool closed_ = false;
};

}  // namespace mmproxy::dataplane
