#include "dataplane/udp/udp_worker.h"

#include <sys/epoll.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "dataplane/shared/clock.h"

namespace mmproxy::dataplane {
namespace {

// epoll tag for the listener (sessions are tagged with their UdpSession).
char listener_tag;

// Events taken per epoll_wait: enough to amortise the call under load.
constexpr int kMaxEvents = 256;

}  // namespace

UdpWorker::UdpWorker(unsigned index, SharedState& shared, UniqueFd listener)
    : WorkerThread(index, shared, std::move(listener)) {
  // Level-triggered: a turn reads a bounded number of batches and the rest
  // wakes the next turn, so one busy load balancer cannot starve the replies.
  epoll_event readable{EPOLLIN, {}};
  readable.data.ptr = &listener_tag;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, listener_.get(), &readable) != 0) {
    throw std::system_error(errno, std::generic_category(), "epoll_ctl");
  }
}

UdpWorker::~UdpWorker() { Stop(); }

void UdpWorker::Start() {
  thread_ = std::thread([this] { Run(); });
}

void UdpWorker::Run() {
  PrepareThread();
  epoll_event events[kMaxEvents];
  while (!stop_requested()) {
    now_ms_ = SteadyMs();
    int ready = ::epoll_wait(epoll_.get(), events, kMaxEvents, EpollTimeoutMs());
    if (ready < 0 && errno != EINTR) {
      Emit(NewEvent(Level::kError, EventKind::kWorkerError,
                    std::string("epoll_wait failed: ") + std::strerror(errno)));
      break;
    }
    now_ms_ = SteadyMs();
    for (int i = 0; i < ready; ++i) {
      void* tag = events[i].data.ptr;
      if (tag == wake_tag()) {
        DrainWakeups();
      } else if (tag == &listener_tag) {
        ReadListener();
      } else if (auto* session = static_cast<UdpSession*>(tag); !session->closed) {
        ReadUpstream(*session);
      }
    }
    FlushReplies();
    ExpireIdle();
    if (stop_accepting_requested() && listener_.valid()) CloseListener();
    closed_.clear();
    FlushEvents(now_ms_, false);
  }
  CloseListener();
  closed_.clear();
  FlushEvents(SteadyMs(), true);
}

int UdpWorker::EpollTimeoutMs() const {
  int64_t next = NextFlushMs();
  if (const UdpSession* idle = LongestIdle()) {
    next = std::min(next, idle->last_active_ms + shared_.config.close_after_ms);
  }
  if (next == INT64_MAX) return -1;
  return static_cast<int>(std::clamp<int64_t>(next - now_ms_, 0, INT32_MAX));
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
  listener_.Reset();
  MarkListenerClosed();
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
