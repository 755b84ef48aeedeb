// Established flows: relaying both ways, and the three ways a flow ends
// (finished, aborted by a reset or error, failed before relaying).
#include <sys/epoll.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "dataplane/shared/clock.h"
#include "dataplane/tcp/worker.h"
#include "os/socket_options.h"

namespace mmproxy::dataplane {
namespace {

// How a socket fails when the kernel gave up on a silent peer (keepalive
// probes or data unacknowledged past TCP_USER_TIMEOUT): ETIMEDOUT, or the
// ICMP error last seen on the way, when there was one.
bool PeerSilent(int error) {
  return error == ETIMEDOUT || error == EHOSTUNREACH || error == ENETUNREACH || error == EHOSTDOWN;
}

}  // namespace

void Worker::Establish(Flow& flow) {
  // Keepalive only once connected: TCP_USER_TIMEOUT would also cut the SYN
  // retries short, which are the connect timeout's to end. And only for a
  // flow still open a little later (kUpstreamKeepAliveDelayMs). The client
  // socket inherited these and TCP_NODELAY from the listener.
  if (shared_.config.keepalive.enabled()) {
    keepalive_deadlines_.Add(now_ms_ + kUpstreamKeepAliveDelayMs, flow.info.id);
  }
  Bump(counters_.established);
  SetState(flow, FlowState::kEstablished);
  // Readability is already known (header read and epoll events while
  // connecting); both sockets can take bytes.
  flow.client.writable = true;
  flow.target.writable = true;
  Pump(flow);
}

// The flow is relaying (or half-closed): its upstream socket gets the
// keepalive options. They fail only on a broken socket; the flow is then
// reset both ways, as a relay error.
void Worker::KeepAliveUpstream(Flow& flow) {
  auto r = ApplyKeepAlive(flow.target.fd.get(), shared_.config.keepalive);
  if (r) return;
  SetResetOnClose(flow.target.fd.get());
  Fail(flow, Failure::kRelayError, Level::kError,
       "could not turn on keepalive for the upstream connection to " + flow.info.target->ToString() + ": " +
           r.syscall() + ": " + std::strerror(r.error) + "; reset both sides",
       strerrorname_np(r.error));
}

void Worker::Pump(Flow& flow) {
  int error = 0;
  bool yielded = false;
  Half* directions[2][2] = {{&flow.client, &flow.target}, {&flow.target, &flow.client}};
  for (int d = 0; d < 2; ++d) {
    auto [src, dst] = directions[d];
    if (src->done || !RelayMoves(flow, d)) continue;
    uint64_t moved = 0;
    RelayStatus status = Relay(*src, *dst, tools_, &moved, &error);
    Account(flow, d == 0, moved);
    if (moved > 0 && flow.fast.stage == FastStage::kRelay && flow.fast.reads < UINT32_MAX) ++flow.fast.reads;
    NoteRelayed(flow, d, moved);
    // A reset or error on either socket ends both: the other side is reset too.
    if (status == RelayStatus::kError) {
      Abort(flow, error);
      return;
    }
    yielded = yielded || status == RelayStatus::kYield;
  }
  if (flow.client.done && flow.target.done) {
    Finish(flow);
    return;
  }
  if (flow.client.done || flow.target.done) SetState(flow, FlowState::kHalfClosed);
  if (yielded && !flow.queued) {
    flow.queued = true;
    yielded_.push_back(&flow);
  }
  MaybePromote(flow);
}

void Worker::Account(Flow& flow, bool to_target, uint64_t moved) {
  if (moved == 0) return;
  Half& src = to_target ? flow.client : flow.target;
  src.bytes_relayed += moved;
  auto& published = to_target ? flow.info.bytes_to_target : flow.info.bytes_to_client;
  published.store(src.bytes_relayed, std::memory_order_relaxed);
  Bump(to_target ? counters_.bytes_to_target : counters_.bytes_to_client, moved);
}

bool Worker::Watch(Half& half) {
  if (half.watched) return true;
  // Edge-triggered, registered once for reads and writes: backpressure needs
  // no epoll_ctl (see relay.cc).
  epoll_event event{EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, {}};
  event.data.ptr = &half.tag;
  half.watched = ::epoll_ctl(epoll_fd(), EPOLL_CTL_ADD, half.fd.get(), &event) == 0;
  return half.watched;
}

void Worker::SetState(Flow& flow, FlowState state) {
  flow.info.state.store(state, std::memory_order_relaxed);
}

Event Worker::FlowEvent(const Flow& flow, Level level, Kind kind, std::string message) const {
  Event event = NewEvent(level, kind, std::move(message));
  event.flow_id = flow.info.id;
  event.load_balancer = flow.info.load_balancer;
  event.client = flow.info.client;
  event.target = flow.info.target;
  return event;
}

// A flow that failed before relaying is reset, not closed with a FIN: the
// load balancer must see an abort (HAProxy logs `SD`, as the field shows for
// go-mmproxy and as `mmproxy doctor` explains), never an empty clean reply.
void Worker::Fail(Flow& flow, Failure failure, Level level, std::string message, std::string code) {
  SetResetOnClose(flow.client.fd.get());
  counters_.Fail(failure);
  Event event = FlowEvent(flow, level, failure, std::move(message));
  event.code = std::move(code);
  Emit(std::move(event));
  Close(flow);
}

void Worker::Finish(Flow& flow) {
  Bump(counters_.completed);
  if (shared_.config.debug_events) {
    Event event = FlowEvent(flow, Level::kDebug, EventKind::kFlowClosed, "flow closed");
    event.bytes_to_target = flow.client.bytes_relayed;
    event.bytes_to_client = flow.target.bytes_relayed;
    event.duration_ms = static_cast<uint64_t>(now_ms_ - flow.started_steady_ms);
    Emit(std::move(event));
  }
  Close(flow);
}

void Worker::Abort(Flow& flow, int error) {
  SetResetOnClose(flow.client.fd.get());
  SetResetOnClose(flow.target.fd.get());
  Failure failure = PeerSilent(error) ? Failure::kPeerTimeout : Failure::kRelayError;
  counters_.Fail(failure);
  std::string what;
  Level level = Level::kInfo;
  if (failure == Failure::kPeerTimeout) {
    // The kernel gave up on that socket's peer; the other one is still open.
    const char* peer = IsTcpClosed(flow.client.fd.get()) ? "the load balancer" : "the target";
    what = std::string(peer) + " stopped answering (" + std::strerror(error) +
           ": keepalive probes or data unacknowledged for " +
           std::to_string(shared_.config.keepalive.user_timeout_ms / 1000) + " s)";
  } else if (error == ECONNRESET || error == EPIPE) {
    what = std::string("connection reset (") + std::strerror(error) + ")";
  } else {
    what = std::string("relay failed (") + std::strerror(error) + ")";
    level = Level::kWarn;
  }
  Event event =
      FlowEvent(flow, level, failure,
                what + " after " + std::to_string(flow.client.bytes_relayed) + " bytes to the target and " +
                    std::to_string(flow.target.bytes_relayed) + " to the client; reset the other side");
  event.code = strerrorname_np(error);
  event.bytes_to_target = flow.client.bytes_relayed;
  event.bytes_to_client = flow.target.bytes_relayed;
  event.duration_ms = static_cast<uint64_t>(now_ms_ - flow.started_steady_ms);
  Emit(std::move(event));
  Close(flow);
}

void Worker::Close(Flow& flow) {
  flow.closed = true;
  SetState(flow, FlowState::kClosing);
  registry_.Remove(&flow.info);
  LeaveFastPath(flow);
  if (flow.fast.attached > 0) fast_->Closed(flow.fast.attached);  // closing takes them out
  for (Half* half : {&flow.client, &flow.target}) {
    // An empty pipe goes back to the pool; one with bytes in it (an aborted
    // flow) is closed with them.
    if (half->pipe && half->piped == 0) tools_.pipes.Give(std::move(*half->pipe));
    half->pipe.reset();
    if (half->chunk) tools_.chunks.Give(std::move(half->chunk));
    half->fd.Reset();  // also leaves the epoll set
  }
  if (flow.queued) yielded_.erase(std::find(yielded_.begin(), yielded_.end(), &flow));
  shared_.active.fetch_sub(1, std::memory_order_relaxed);
  auto it = flows_.find(flow.info.id);
  // Freed at the end of this loop turn: events for it may still be queued.
  closed_.push_back(std::move(it->second));
  flows_.erase(it);
}

}  // namespace mmproxy::dataplane
