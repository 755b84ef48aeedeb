#include "dataplane/shared/worker_client.h"

#include <sys/epoll.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace mmproxy::dataplane {
namespace {

// Events reach JavaScript at most this often, in one batch per worker.
constexpr int64_t kFlushIntervalMs = 50;
// Events kept between flushes; beyond that they are counted as dropped.
constexpr size_t kMaxPendingEvents = 4096;

}  // namespace

WorkerClient::WorkerClient(EventLoop& loop, SharedState& shared, UniqueFd listener)
    : loop_(loop),
      index_(loop.index()),
      shared_(shared),
      listener_(std::move(listener)),
      local_addresses_(loop.local_addresses()) {}

int WorkerClient::WatchListener(uint32_t events) {
  epoll_event watch{events, {}};
  watch.data.ptr = &listener_tag_;
  return ::epoll_ctl(epoll_fd(), EPOLL_CTL_ADD, listener_.get(), &watch) == 0 ? 0 : errno;
}

void WorkerClient::CloseListenerFd() {
  if (!listener_.valid()) return;
  ::epoll_ctl(epoll_fd(), EPOLL_CTL_DEL, listener_.get(), nullptr);
  listener_.Reset();
}

void WorkerClient::LoopFailed(int error) {
  Emit(NewEvent(Level::kError, EventKind::kWorkerError,
                std::string("epoll_wait failed: ") + std::strerror(error)));
}

void WorkerClient::Emit(Event event) {
  if (events_.size() >= kMaxPendingEvents) {
    Bump(counters_.events_dropped);
    return;
  }
  events_.push_back(std::move(event));
}

void WorkerClient::FlushEvents(int64_t now_ms, bool force) {
  if (events_.empty()) return;
  if (!force && now_ms - last_flush_ms_ < kFlushIntervalMs) return;
  size_t count = events_.size();
  if (!shared_.events->Post(std::move(events_))) Bump(counters_.events_dropped, count);
  events_ = EventBatch{};
  last_flush_ms_ = now_ms;
}

int64_t WorkerClient::NextFlushMs() const {
  return events_.empty() ? INT64_MAX : last_flush_ms_ + kFlushIntervalMs;
}

bool WorkerClient::AllowedPeer(const Address& peer) {
  uint64_t generation = shared_.subnets.generation();
  if (generation != subnets_generation_) {
    subnets_ = shared_.subnets.Current();
    subnets_generation_ = generation;
  }
  return subnets_->Allows(peer);
}

}  // namespace mmproxy::dataplane
