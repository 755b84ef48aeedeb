#include "dataplane/shared/worker_thread.h"

#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

#include <cerrno>
#include <string>
#include <system_error>

namespace mmproxy::dataplane {
namespace {

// Events reach JavaScript at most this often, in one batch per worker.
constexpr int64_t kFlushIntervalMs = 50;
// Events kept between flushes; beyond that they are counted as dropped.
constexpr size_t kMaxPendingEvents = 4096;
// How long StopAccepting() waits for the worker to close its listener.
constexpr auto kStopAcceptingWait = std::chrono::seconds(2);

UniqueFd CheckedFd(int fd, const char* what) {
  if (fd < 0) throw std::system_error(errno, std::generic_category(), what);
  return UniqueFd(fd);
}

}  // namespace

WorkerThread::WorkerThread(unsigned index, SharedState& shared, UniqueFd listener)
    : index_(index),
      shared_(shared),
      epoll_(CheckedFd(::epoll_create1(EPOLL_CLOEXEC), "epoll_create1")),
      wake_(CheckedFd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC), "eventfd")),
      listener_(std::move(listener)) {
  epoll_event wake{EPOLLIN, {}};
  wake.data.ptr = wake_tag();
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, wake_.get(), &wake) != 0) {
    throw std::system_error(errno, std::generic_category(), "epoll_ctl");
  }
}

void WorkerThread::StopAccepting() {
  if (!thread_.joinable()) {
    listener_.Reset();
    return;
  }
  stop_accepting_requested_.store(true, std::memory_order_release);
  Wake();
  std::unique_lock<std::mutex> lock(listener_mutex_);
  listener_closed_cv_.wait_for(lock, kStopAcceptingWait, [this] { return listener_closed_; });
}

void WorkerThread::Stop() {
  if (thread_.joinable()) {
    stop_requested_.store(true, std::memory_order_release);
    Wake();
    thread_.join();
  }
  // Counters and the (now empty) registry stay readable; descriptors go.
  listener_.Reset();
  wake_.Reset();
  epoll_.Reset();
  local_addresses_.Close();
}

void WorkerThread::Wake() {
  uint64_t one = 1;
  // EAGAIN means the counter is already non-zero: the worker wakes anyway.
  [[maybe_unused]] ssize_t written = ::write(wake_.get(), &one, sizeof one);
}

void WorkerThread::DrainWakeups() {
  uint64_t count = 0;
  [[maybe_unused]] ssize_t got = ::read(wake_.get(), &count, sizeof count);
}

void WorkerThread::PrepareThread() const {
  // `top -H` and /proc show which threads are the data plane's.
  std::string name = "mmproxy-w" + std::to_string(index_);
  pthread_setname_np(pthread_self(), name.c_str());
  // splice() into a socket the peer closed raises SIGPIPE (it has no
  // MSG_NOSIGNAL). Node ignores SIGPIPE, but an embedder might not: blocked
  // here, it stays pending on this thread and the call returns EPIPE.
  sigset_t pipe_signal;
  sigemptyset(&pipe_signal);
  sigaddset(&pipe_signal, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_signal, nullptr);
}

void WorkerThread::Emit(Event event) {
  if (events_.size() >= kMaxPendingEvents) {
    Bump(counters_.events_dropped);
    return;
  }
  events_.push_back(std::move(event));
}

void WorkerThread::FlushEvents(int64_t now_ms, bool force) {
  if (events_.empty()) return;
  if (!force && now_ms - last_flush_ms_ < kFlushIntervalMs) return;
  size_t count = events_.size();
  if (!shared_.events->Post(std::move(events_))) Bump(counters_.events_dropped, count);
  events_ = EventBatch{};
  last_flush_ms_ = now_ms;
}

int64_t WorkerThread::NextFlushMs() const {
  return events_.empty() ? INT64_MAX : last_flush_ms_ + kFlushIntervalMs;
}

void WorkerThread::MarkListenerClosed() {
  std::lock_guard<std::mutex> lock(listener_mutex_);
  listener_closed_ = true;
  listener_closed_cv_.notify_all();
}

bool WorkerThread::AllowedPeer(const Address& peer) {
  uint64_t generation = shared_.subnets.generation();
  if (generation != subnets_generation_) {
    subnets_ = shared_.subnets.Current();
    subnets_generation_ = generation;
  }
  return subnets_->Allows(peer);
}

}  // namespace mmproxy::dataplane
