// What every kind of worker (TCP: worker.h, UDP: udp_worker.h) shares: one
// data plane's part on one pool thread, a client of that thread's EventLoop.
// It owns its listener, counters, flow registry and the batch of events on
// its way to JavaScript. The JavaScript thread reaches it only through the
// loop's commands (Attach, StopAccepting, Detach) and the counters and
// registry, which are safe to read from any thread.
#pragma once

#include <cstdint>
#include <memory>

#include "dataplane/shared/counters.h"
#include "dataplane/shared/event.h"
#include "dataplane/shared/event_loop.h"
#include "dataplane/shared/flow_registry.h"
#include "dataplane/shared/local_addresses.h"
#include "dataplane/shared/shared_state.h"
#include "dataplane/shared/subnets.h"
#include "os/unique_fd.h"

namespace mmproxy::dataplane {

class WorkerClient : public LoopClient {
 public:
  WorkerClient(const WorkerClient&) = delete;
  WorkerClient& operator=(const WorkerClient&) = delete;

  // On the JavaScript thread. Attach returns 0 or the errno that refused it.
  int Attach() { return loop_.Attach(*this); }
  // Asks the loop to close the listener and waits, bounded, until it has.
  void StopAccepting() { loop_.StopAccepting(*this); }
  // Closes every flow and the listener; the loop runs on for other clients.
  void Detach() { loop_.Detach(*this); }

  const WorkerCounters& counters() const { return counters_; }
  const FlowRegistry& registry() const { return registry_; }
  // The listening socket, for a plane that adopts it (dup): valid from
  // construction until the loop closes it (StopAccepting, Detach).
  int listener_fd() const { return listener_.get(); }

  void LoopFailed(int error) override;

 protected:
  WorkerClient(EventLoop& loop, SharedState& shared, UniqueFd listener);

  // Adds the listener to the loop's epoll set with these events.
  int WatchListener(uint32_t events);
  // Leaves the epoll set before closing: an adopting plane's dup would keep
  // the registration (and its tag, pointing here) alive otherwise.
  void CloseListenerFd();
  bool is_listener(const void* object) const { return object == nullptr; }
  int epoll_fd() const { return loop_.epoll_fd(); }
  uint64_t NewFlowId() { return shared_.next_flow_id->fetch_add(1, std::memory_order_relaxed); }

  void Emit(Event event);
  void FlushEvents(int64_t now_ms, bool force);
  // Milliseconds until the pending events are due, or INT64_MAX.
  int64_t NextFlushMs() const;
  // Whether the allowed subnets in force now let this peer in (picks up a
  // reload by generation number, so the check takes no lock).
  bool AllowedPeer(const Address& peer);

  EventLoop& loop_;
  const unsigned index_;  // the pool thread's
  SharedState& shared_;
  WorkerCounters counters_;
  FlowRegistry registry_;
  UniqueFd listener_;
  EpollTag listener_tag_{this, nullptr};
  // This host's addresses, for the header checks (shared/header_policy.h):
  // the loop's, one netlink socket per thread.
  LocalAddresses& local_addresses_;

 private:
  EventBatch events_;  // loop thread only
  int64_t last_flush_ms_ = 0;
  std::shared_ptr<const SubnetList> subnets_;  // loop thread only
  uint64_t subnets_generation_ = UINT64_MAX;
};

}  // namespace mmproxy::dataplane
