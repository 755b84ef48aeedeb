// Accepting: limits and allowed subnets are checked before a byte is read.
#include <sys/epoll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "dataplane/shared/clock.h"
#include "dataplane/tcp/worker.h"

namespace mmproxy::dataplane {
namespace {

// Connections accepted per loop turn before established flows get a turn.
constexpr int kAcceptBatch = 64;
// Out of descriptors or memory: retrying at once would spin; flows closing
// in the meantime free what the next accept needs.
constexpr int64_t kAcceptBackoffMs = 500;

}  // namespace

void Worker::AcceptPending() {
  accept_pending_ = false;
  for (int i = 0; i < kAcceptBatch; ++i) {
    if (!AcceptOne()) return;
  }
  accept_pending_ = true;  // more may be queued: come back after the flows had a turn
}

// Returns true when a connection was taken (whatever became of it), false
// when the queue is empty or accepting must pause.
bool Worker::AcceptOne() {
  if (!listener_.valid()) return false;
  sockaddr_storage peer_storage{};
  socklen_t peer_length = sizeof peer_storage;
  int fd = ::accept4(listener_.get(), reinterpret_cast<sockaddr*>(&peer_storage), &peer_length,
                     SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd < 0) {
    int error = errno;
    // The peer gave up while queued, or a signal: try the next one.
    if (error == EINTR || error == ECONNABORTED || error == EPROTO) return true;
    if (error == EAGAIN || error == EWOULDBLOCK) return false;
    if (OutOfResources(error)) {
      Bump(counters_.accept_errors);
      BackOffAccepting(error);
      return false;
    }
    Bump(counters_.accept_errors);
    Event event = NewEvent(Level::kError, EventKind::kAcceptError,
                           std::string("accept failed: ") + std::strerror(error));
    event.code = strerrorname_np(error);
    Emit(std::move(event));
    return false;
  }
  UniqueFd connection(fd);
  Bump(counters_.accepted);
  Address peer = Address::FromKernel(peer_storage);

  unsigned limit = shared_.config.max_connections;
  int64_t before = shared_.active.fetch_add(1, std::memory_order_relaxed);
  if (limit != 0 && before >= static_cast<int64_t>(limit)) {
    shared_.active.fetch_sub(1, std::memory_order_relaxed);
    counters_.Fail(Failure::kTooManyConnections);
    Event event = NewEvent(Level::kWarn, Failure::kTooManyConnections,
                           "closed a new connection from " + peer.ToString() + ": " + std::to_string(limit) +
                               " connections are open (--max-connections)");
    event.load_balancer = peer;
    Emit(std::move(event));
    return true;
  }
  if (!AllowedPeer(peer)) {
    shared_.active.fetch_sub(1, std::memory_order_relaxed);
    counters_.Fail(Failure::kNotAllowed);
    Event event = NewEvent(Level::kInfo, Failure::kNotAllowed,
                           "closed a connection from " + peer.ToString() + ": not in the allowed subnets");
    event.load_balancer = peer;
    Emit(std::move(event));
    return true;
  }

  auto flow = std::make_unique<Flow>();
  flow->info.id = NewFlowId();
  flow->info.worker = index_;
  flow->info.load_balancer = peer;
  flow->info.started_at_ms = WallMs();
  flow->started_steady_ms = now_ms_;
  flow->deadline_ms = now_ms_ + shared_.config.header_timeout_ms;
  flow->client.fd = std::move(connection);
  flow->client.flow = flow->target.flow = flow.get();
  flow->client.tag = {this, &flow->client};
  flow->target.tag = {this, &flow->target};
  registry_.Insert(&flow->info);
  header_deadlines_.Add(flow->deadline_ms, flow->info.id);
  Flow& accepted = *flow;
  flows_.emplace(flow->info.id, std::move(flow));
  // The listener defers accepting until bytes arrive (kDeferAcceptSeconds),
  // so the header is usually here already: read it now. The client socket
  // joins the epoll set once drained (OnHeaderReadable), so no event reports
  // bytes this read already took.
  OnHeaderReadable(accepted);
  return true;
}

// Called when accept() or the upstream socket() meets exhaustion: this
// worker pauses accepting, and the log hears of it once for all workers.
void Worker::BackOffAccepting(int error) {
  accept_pending_ = true;
  accept_backoff_until_ = now_ms_ + kAcceptBackoffMs;
  shared_.exhaustion.Enter(now_ms_, [&] {
    Event event = NewEvent(Level::kWarn, EventKind::kAcceptBackoff,
                           std::string("cannot accept connections: ") + std::strerror(error) +
                               "; pausing accepts and retrying every " + std::to_string(kAcceptBackoffMs) +
                               " ms (raise the open-files limit, e.g. LimitNOFILE= in the systemd unit)");
    event.code = strerrorname_np(error);
    Emit(std::move(event));
    FlushEvents(now_ms_, true);  // under the lock: ahead of any "again"
  });
}

// A connection got both its sockets: if the process had run out, it no
// longer has, and the log hears of it once.
void Worker::ConnectionsGetThrough() {
  shared_.exhaustion.Leave([&] {
    Emit(NewEvent(Level::kInfo, EventKind::kAcceptBackoff, "accepting connections again"));
    FlushEvents(now_ms_, true);
  });
}

}  // namespace mmproxy::dataplane
