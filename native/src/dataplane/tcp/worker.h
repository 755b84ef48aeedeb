// One data plane's TCP worker on one pool thread (a client of its EventLoop):
// one SO_REUSEPORT listener and every flow it accepted, from header to close.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "dataplane/shared/counters.h"
#include "dataplane/shared/event.h"
#include "dataplane/shared/flow_registry.h"
#include "dataplane/shared/shared_state.h"
#include "dataplane/shared/subnets.h"
#include "dataplane/shared/worker_client.h"
#include "dataplane/tcp/deadline_queue.h"
#include "dataplane/tcp/fast_path.h"
#include "dataplane/tcp/flow.h"
#include "dataplane/tcp/relay.h"
#include "os/sockets.h"
#include "os/unique_fd.h"
#include "proxy_header/parser.h"

namespace mmproxy::dataplane {

// StopAccepting() closes the listener (accepting what is already queued
// first); flows go on. Detach() closes every flow.
class Worker final : public WorkerClient {
 public:
  Worker(EventLoop& loop, SharedState& shared, UniqueFd listener);

  // The loop's calls (worker.cc).
  int Attached(int64_t now_ms) override;
  void OnEvent(void* object, uint32_t events, int64_t now_ms) override;
  int64_t NextDeadlineMs() const override;
  void AfterEvents(int64_t now_ms) override;
  void CloseListener() override;
  void Detached() override;

  // TCP listeners wait this long (TCP_DEFER_ACCEPT) for a connection's first
  // bytes before accept() hands it over: a load balancer sends its PROXY
  // header at once, so the header is usually read straight after accept4,
  // with no epoll round for the client socket before it. A connection that
  // stays silent is accepted after about this long, then the header timeout
  // runs; one that resets before a byte costs us nothing at all.
  static constexpr unsigned kDeferAcceptSeconds = 1;

  // An upstream socket gets its keepalive options (five setsockopts) this
  // long after it connected, and only if its flow is still open: most
  // proxied connections are short and end before, and a dead peer is not
  // found in the first second anyway (the kernel's shortest keepalive idle
  // is a second). A flow's first keepalive probe thus comes at most this
  // much later than --keepalive says.
  static constexpr int64_t kUpstreamKeepAliveDelayMs = 1000;

 private:
  // A turn's work (worker.cc).
  void RunYieldedFlows();
  void ExpireDeadlines(int64_t now_ms);

  // Accepting (worker_accept.cc).
  void AcceptPending();
  bool AcceptOne();
  void BackOffAccepting(int error);
  void ConnectionsGetThrough();

  // The PROXY header and the upstream connect (worker_header.cc).
  void OnHeaderReadable(Flow& flow);
  void WatchForHeader(Flow& flow);
  void CloseBeforeHeader(Flow& flow, size_t bytes_seen, int error);
  void RejectHeader(Flow& flow, pp::ErrorCode error);
  // Parses the bytes of a header whose last parse was deferred; true when
  // they hold a mistake, which then ends the flow as any rejected header.
  bool RejectDeferredMistake(Flow& flow);
  void OnHeaderParsed(Flow& flow, const pp::Header& header);
  bool ResolveCollision(Flow& flow, const SocketFailure& failure, UpstreamOptions options,
                        UniqueFd* upstream);
  void OnConnectResult(Flow& flow, uint32_t events);
  void FailConnect(Flow& flow, int error, const std::string& step);
  void AbortConnecting(Flow& flow);

  // Relaying and closing (worker_flow.cc).
  void Establish(Flow& flow);
  void KeepAliveUpstream(Flow& flow);
  void Pump(Flow& flow);
  bool Watch(Half& half);
  void Account(Flow& flow, bool to_target, uint64_t moved);
  void SetState(Flow& flow, FlowState state);
  void Fail(Flow& flow, Failure failure, Level level, std::string message, std::string code = "");
  void Finish(Flow& flow);
  void Abort(Flow& flow, int error);
  void Close(Flow& flow);
  Event FlowEvent(const Flow& flow, Level level, Kind kind, std::string message) const;

  // The in-kernel fast path (worker_fast.cc).
  void WatchFastAlarms();
  void OnFastAlarms();
  void MaybePromote(Flow& flow);
  void OnFastEvent(Flow& flow, uint32_t events);
  void CheckFast(Flow& flow);
  static bool Overflowing(FastFlow& fast, int d, uint64_t redirected);
  void Detour(Flow& flow, int d);
  void MaybeResume(Flow& flow);
  void NoteRelayed(Flow& flow, int d, uint64_t moved);
  bool RelayMoves(const Flow& flow, int d) const;
  void Demote(Flow& flow);
  void BackToRelay(Flow& flow);
  void LeaveFastPath(Flow& flow);
  void ForgetFastFlow(Flow& flow);
  void TickFastFlows(int64_t now_ms);

  // Everything below belongs to the loop thread.
  std::unordered_map<uint64_t, std::unique_ptr<Flow>> flows_;
  std::vector<std::unique_ptr<Flow>> closed_;  // freed at the end of a loop turn
  std::vector<Flow*> yielded_;
  DeadlineQueue header_deadlines_;
  DeadlineQueue connect_deadlines_;
  DeadlineQueue keepalive_deadlines_;                // established flows whose upstream awaits keepalive
  int64_t now_ms_ = 0;                               // steady clock of this loop turn
  bool accept_pending_ = false;                      // stopped early with connections still queued
  int64_t accept_backoff_until_ = 0;                 // out of descriptors: wait before accepting again
  std::unique_ptr<FastPath> fast_;                   // --fast-path auto: this worker's maps and program
  std::vector<Flow*> fast_flows_;                    // promoted or draining
  std::unordered_map<uint32_t, Flow*> fast_slots_;   // each promoted or draining flow's two slots
  std::vector<uint32_t> fast_alarms_;                // TakeAlarms' output, kept for its capacity
  EpollTag fast_alarm_tag_{this, &fast_alarm_tag_};  // the alarm ring's registration
  int64_t next_fast_tick_ms_ = 0;
  std::unique_ptr<uint8_t[]> scratch_;
  RelayTools tools_;
};

}  // namespace mmproxy::dataplane
