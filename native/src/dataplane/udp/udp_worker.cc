#include "dataplane/udp/udp_worker.h"

#include <sys/epoll.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "dataplane/shared/clock.h"

namespace mmproxy::dataplane {

UdpWorker::UdpWorker(EventLoop& loop, SharedState& shared, UniqueFd listener)
    : WorkerClient(loop, shared, std::move(listener)) {}

int UdpWorker::Attached(int64_t now_ms) {
  now_ms_ = now_ms;
  // Level-triggered: a turn reads a bounded number of batches and the rest
  // wakes the next turn, so one busy load balancer cannot starve the replies.
  return WatchListener(EPOLLIN);
}

void UdpWorker::OnEvent(void* object, uint32_t /*events*/, int64_t now_ms) {
  now_ms_ = now_ms;
  if (is_listener(object)) {
    ReadListener();
  } else if (auto* session = static_cast<UdpSession*>(object); !session->closed) {
    ReadUpstream(*session);
  }
}

void UdpWorker::AfterEvents(int64_t now_ms) {
  now_ms_ = now_ms;
  FlushReplies();
  ExpireIdle();
  closed_.clear();
  FlushEvents(now_ms_, false);
}

void UdpWorker::Detached() {
  CloseListener();
  closed_.clear();
  FlushEvents(SteadyMs(), true);
}

int64_t UdpWorker::NextDeadlineMs() const {
  int64_t next = NextFlushMs();
  if (const UdpSession* idle = LongestIdle()) {
    next = std::min(next, idle->last_active_ms + shared_.config.close_after_ms);
  }
  return next;
}

UdpSession* UdpWorker::LongestIdle() const {
  UdpSession* probation = probation_.empty() ? nullptr : probation_.front().get();
  UdpSession* confirmed = confirmed_.empty() ? nullptr : confirmed_.front().get();
  if (probation == nullptr || confirmed == nullptr) return probation != nullptr ? probation : confirmed;
  return probation->last_active_ms <= confirmed->last_active_ms ? probation : confirmed;
}

// Both lists are ordered by last activity, so the idle ones are at their fronts.
void UdpWorker::ExpireIdle() {
  for (UdpSession* idle = LongestIdle();
       idle != nullptr && now_ms_ - idle->last_active_ms >= shared_.config.close_after_ms;
       idle = LongestIdle()) {
    UdpSession& session = *idle;
    Bump(counters_.completed);
    if (shared_.config.debug_events) {
      Emit(SessionEvent(session, Level::kDebug, EventKind::kFlowClosed,
                        "UDP session closed after " + std::to_string(shared_.config.close_after_ms / 1000) +
                            " s without traffic"));
    }
    CloseSession(session);
  }
}

void UdpWorker::CloseListener() {
  FlushReplies();
  while (UdpSession* session = LongestIdle()) CloseSession(*session);
  CloseListenerFd();
}

void UdpWorker::Touch(UdpSession& session, bool inbound) {
  session.last_active_ms = now_ms_;
  SessionList& from = ListOf(session);
  if (!inbound) {
    session.replied = true;
  } else if (session.replied) {
    session.confirmed = true;
  }
  SessionList& to = ListOf(session);
  to.splice(to.end(), from, session.position);
}

void UdpWorker::CloseSession(UdpSession& session) {
  // Replies already queued for it still go: they point at its reply_to,
  // which lives until closed_ is cleared after the flush.
  session.closed = true;
  session.upstream.Reset();  // also leaves the epoll set
  registry_.Remove(&session.info);
  by_key_.erase(session.key);
  if (session.source) shared_.udp_tuples.Release(*session.source, *session.info.target);
  shared_.active.fetch_sub(1, std::memory_order_relaxed);
  closed_.push_back(std::move(*session.position));
  ListOf(session).erase(session.position);
}

Event UdpWorker::SessionEvent(const UdpSession& session, Level level, Kind kind, std::string message) const {
  Event event = NewEvent(level, kind, std::move(message));
  event.flow_id = session.info.id;
  event.load_balancer = session.info.load_balancer;
  event.client = session.info.client;
  event.target = session.info.target;
  event.bytes_to_target = session.info.bytes_to_target.load(std::memory_order_relaxed);
  event.bytes_to_client = session.info.bytes_to_client.load(std::memory_order_relaxed);
  return event;
}

}  // namespace mmproxy::dataplane
