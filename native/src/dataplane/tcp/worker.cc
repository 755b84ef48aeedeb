#include "dataplane/tcp/worker.h"

#include <sys/epoll.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "dataplane/shared/clock.h"
#include "dataplane/shared/uninitialised_bytes.h"
#include "dataplane/tcp/fast_path.h"
#include "os/socket_options.h"

namespace mmproxy::dataplane {
namespace {

// Scratch space: the largest possible PROXY v2 header (peeked whole) and one
// read/write chunk.
constexpr size_t kScratchBytes =
    pp::kV2MaxLength > ChunkPool::kChunkBytes ? pp::kV2MaxLength : ChunkPool::kChunkBytes;

}  // namespace

Worker::Worker(EventLoop& loop, SharedState& shared, UniqueFd listener)
    : WorkerClient(loop, shared, std::move(listener)), scratch_(UninitialisedBytes(kScratchBytes)) {
  tools_.scratch = scratch_.get();
  tools_.mode = shared_.config.relay_mode;
  // Loaded at start, not by the first flow, which pays no load.
  if (shared_.config.fast_path == FastPathMode::kAuto) fast_ = std::make_unique<FastPath>();
}

int Worker::Attached(int64_t now_ms) {
  now_ms_ = now_ms;
  accept_pending_ = true;  // connections may have queued since listen()
  WatchFastAlarms();
  // Edge-triggered like the flows: one readiness report per new connection.
  return WatchListener(EPOLLIN | EPOLLET);
}

int64_t Worker::NextDeadlineMs() const {
  if (!yielded_.empty()) return 0;
  int64_t next = std::min({header_deadlines_.Next(), connect_deadlines_.Next(), keepalive_deadlines_.Next()});
  if (accept_pending_) next = std::min(next, accept_backoff_until_);
  if (!fast_flows_.empty()) next = std::min(next, next_fast_tick_ms_);
  return std::min(next, NextFlushMs());
}

void Worker::AfterEvents(int64_t now_ms) {
  now_ms_ = now_ms;
  if (accept_pending_ && now_ms_ >= accept_backoff_until_) AcceptPending();
  RunYieldedFlows();
  TickFastFlows(now_ms_);
  ExpireDeadlines(now_ms_);
  closed_.clear();
  FlushEvents(now_ms_, false);
}

void Worker::Detached() {
  // No accept first: an adopting plane may share this listener and take
  // what is queued; without one, closing resets those as accepting would.
  CloseListenerFd();
  while (!flows_.empty()) Close(*flows_.begin()->second);
  closed_.clear();
  tools_.pipes.Clear();
  if (fast_ && fast_->ok()) ::epoll_ctl(epoll_fd(), EPOLL_CTL_DEL, fast_->alarm_fd(), nullptr);
  fast_.reset();  // its maps and program: close() leaves no descriptor open
  FlushEvents(SteadyMs(), true);
}

void Worker::OnEvent(void* object, uint32_t events, int64_t now_ms) {
  now_ms_ = now_ms;
  if (is_listener(object)) {
    accept_pending_ = true;
    return;
  }
  if (object == &fast_alarm_tag_) {
    OnFastAlarms();
    return;
  }
  Half& half = *static_cast<Half*>(object);
  Flow& flow = *half.flow;
  if (flow.closed) return;  // closed earlier in this turn
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP)) half.readable = true;
  if (events & EPOLLRDHUP) half.fin_pending = true;
  if (events & EPOLLERR) half.error_pending = true;
  if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) half.writable = true;
  switch (flow.info.state.load(std::memory_order_relaxed)) {
    case FlowState::kHeader:
      if (&half == &flow.client) OnHeaderReadable(flow);
      break;
    case FlowState::kConnecting:
      // Client bytes wait in its socket until the target answers; a reset
      // from the load balancer does not.
      if (&half == &flow.target && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
        OnConnectResult(flow, events);
      } else if (&half == &flow.client && half.error_pending) {
        AbortConnecting(flow);
      }
      break;
    default:
      if (flow.fast.stage == FastStage::kPromoted || flow.fast.stage == FastStage::kDraining) {
        OnFastEvent(flow, events);
        return;
      }
      // A half that sent its FIN is no relay's source any more, so nothing
      // would read the error that says its peer was given up on (keepalive).
      if ((events & EPOLLERR) && half.eof) {
        if (int error = TakeSocketError(half.fd.get()); error != 0) {
          Abort(flow, error);
          return;
        }
      }
      Pump(flow);
  }
}

void Worker::RunYieldedFlows() {
  if (yielded_.empty()) return;
  std::vector<Flow*> turn;
  turn.swap(yielded_);
  for (Flow* flow : turn) {
    flow->queued = false;
    if (!flow->closed) Pump(*flow);
  }
}

void Worker::ExpireDeadlines(int64_t now_ms) {
  DeadlineQueue::Entry entry;
  while (header_deadlines_.PopDue(now_ms, &entry)) {
    auto it = flows_.find(entry.flow_id);
    if (it == flows_.end()) continue;
    Flow& flow = *it->second;
    if (flow.info.state.load(std::memory_order_relaxed) != FlowState::kHeader ||
        flow.deadline_ms != entry.deadline_ms) {
      continue;
    }
    if (RejectDeferredMistake(flow)) continue;
    Fail(flow, Failure::kHeaderTimeout, Level::kInfo,
         "no complete PROXY header within " + std::to_string(shared_.config.header_timeout_ms) +
             " ms; closed the load balancer's connection");
  }
  while (connect_deadlines_.PopDue(now_ms, &entry)) {
    auto it = flows_.find(entry.flow_id);
    if (it == flows_.end()) continue;
    Flow& flow = *it->second;
    if (flow.info.state.load(std::memory_order_relaxed) != FlowState::kConnecting ||
        flow.deadline_ms != entry.deadline_ms) {
      continue;
    }
    FailConnect(flow, ETIMEDOUT, "connect");
  }
  while (keepalive_deadlines_.PopDue(now_ms, &entry)) {
    // Closed flows have left flows_; every open one here is relaying.
    auto it = flows_.find(entry.flow_id);
    if (it != flows_.end()) KeepAliveUpstream(*it->second);
  }
}

void Worker::CloseListener() {
  if (!listener_.valid()) return;
  // Take what the kernel already queued for this listener: closing it would
  // reset those connections.
  accept_backoff_until_ = 0;
  while (AcceptOne()) {
  }
  CloseListenerFd();
}

}  // namespace mmproxy::dataplane
