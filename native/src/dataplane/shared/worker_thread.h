// What every kind of worker (TCP: worker.h, UDP: udp_worker.h) shares: one
// thread with one epoll loop, the eventfd that wakes it, its listener, its
// counters and flow registry, and the batch of events on its way to
// JavaScript. The JavaScript thread talks to a worker only through these.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>

#include "dataplane/shared/counters.h"
#include "dataplane/shared/event.h"
#include "dataplane/shared/flow_registry.h"
#include "dataplane/shared/local_addresses.h"
#include "dataplane/shared/shared_state.h"
#include "dataplane/shared/subnets.h"
#include "os/unique_fd.h"

namespace mmproxy::dataplane {

class WorkerThread {
 public:
  WorkerThread(const WorkerThread&) = delete;
  WorkerThread& operator=(const WorkerThread&) = delete;
  // A derived destructor calls Stop(): the thread runs the derived loop.
  virtual ~WorkerThread() = default;

  virtual void Start() = 0;
  // Asks the loop to close the listener and waits, bounded, until it has.
  void StopAccepting();
  // Joins the thread (the loop closes every flow on its way out). Idempotent.
  void Stop();

  const WorkerCounters& counters() const { return counters_; }
  const FlowRegistry& registry() const { return registry_; }

 protected:
  // Throws std::system_error when epoll or the eventfd cannot be created.
  WorkerThread(unsigned index, SharedState& shared, UniqueFd listener);

  // The epoll tag of the eventfd.
  void* wake_tag() { return &wake_; }
  void Wake();
  void DrainWakeups();
  // Names the thread for `top -H` and blocks SIGPIPE on it.
  void PrepareThread() const;
  void Emit(Event event);
  void FlushEvents(int64_t now_ms, bool force);
  // Milliseconds until the pending events are due, or INT64_MAX.
  int64_t NextFlushMs() const;
  bool stop_requested() const { return stop_requested_.load(std::memory_order_acquire); }
  bool stop_accepting_requested() const { return stop_accepting_requested_.load(std::memory_order_acquire); }
  // Called by the loop once the listener is closed: releases StopAccepting().
  void MarkListenerClosed();
  // Whether the allowed subnets in force now let this peer in (picks up a
  // reload by generation number, so the check takes no lock).
  bool AllowedPeer(const Address& peer);

  const unsigned index_;
  SharedState& shared_;
  WorkerCounters counters_;
  FlowRegistry registry_;
  UniqueFd epoll_;
  UniqueFd wake_;
  UniqueFd listener_;
  // This host's addresses, for the header checks (shared/header_policy.h).
  LocalAddresses local_addresses_;
  std::thread thread_;

 private:
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> stop_accepting_requested_{false};
  std::mutex listener_mutex_;
  std::condition_variable listener_closed_cv_;
  bool listener_closed_ = false;  // guarded by listener_mutex_
  EventBatch events_;             // worker thread only
  int64_t last_flush_ms_ = 0;
  std::shared_ptr<const SubnetList> subnets_;  // worker thread only
  uint64_t subnets_generation_ = UINT64_MAX;
};

}  // namespace mmproxy::dataplane
