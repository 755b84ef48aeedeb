#include "dataplane/worker.h"

#include "dataplane/clock.h"

#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

namespace mmproxy::dataplane {
namespace {

// epoll tags for the two descriptors that are not flow halves.
char wake_tag;
char listener_tag;

// Events taken per epoll_wait: enough to amortise the call under load.
constexpr int kMaxEvents = 256;
// Events reach JavaScript at most this often, in one batch per worker.
constexpr int64_t kFlushIntervalMs = 50;
// Events kept between flushes; beyond that they are counted as dropped.
constexpr size_t kMaxPendingEvents = 4096;
// Scratch space: the largest possible PROXY v2 header (peeked whole) and one
// read/write chunk.
constexpr size_t kScratchBytes =
    pp::kV2MaxLength > ChunkPool::kChunkBytes ? pp::kV2MaxLength : ChunkPool::kChunkBytes;
// How long StopAccepting() waits for the worker to close its listener.
constexpr auto kStopAcceptingWait = std::chrono::seconds(2);

UniqueFd CheckedFd(int fd, const char* what) {
  if (fd < 0) throw std::system_error(errno, std::generic_category(), what);
  return UniqueFd(fd);
}

}  // namespace

Worker::Worker(unsigned index, SharedState& shared, UniqueFd listener)
    : index_(index),
      shared_(shared),
      epoll_(CheckedFd(::epoll_create1(EPOLL_CLOEXEC), "epoll_create1")),
      wake_(CheckedFd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC), "eventfd")),
      listener_(std::move(listener)),
      scratch_(std::make_unique<uint8_t[]>(kScratchBytes)) {
  tools_.scratch = scratch_.get();
  tools_.mode = shared_.config.relay_mode;
  epoll_event wake{EPOLLIN, {}};
  wake.data.ptr = &wake_tag;
  // Edge-triggered like the flows: one readiness report per new connection.
  epoll_event accept{EPOLLIN | EPOLLET, {}};
  accept.data.ptr = &listener_tag;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, wake_.get(), &wake) != 0 ||
      ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, listener_.get(), &accept) != 0) {
    throw std::system_error(errno, std::generic_category(), "epoll_ctl");
  }
}

Worker::~Worker() { Stop(); }

void Worker::Start() {
  accept_pending_ = true;  // connections may have queued since listen()
  thread_ = std::thread([this] { Run(); });
}

void Worker::StopAccepting() {
  if (!thread_.joinable()) {
    listener_.Reset();
    return;
  }
  stop_accepting_requested_.store(true, std::memory_order_release);
  Wake();
  std::unique_lock<std::mutex> lock(listener_mutex_);
  listener_closed_cv_.wait_for(lock, kStopAcceptingWait, [this] { return listener_closed_; });
}

void Worker::Stop() {
  if (thread_.joinable()) {
    stop_requested_.store(true, std::memory_order_release);
    Wake();
    thread_.join();
  }
  // Counters and the (now empty) registry stay readable; descriptors go.
  listener_.Reset();
  wake_.Reset();
  epoll_.Reset();
}

void Worker::Wake() {
  uint64_t one = 1;
  // EAGAIN means the counter is already non-zero: the worker wakes anyway.
  [[maybe_unused]] ssize_t written = ::write(wake_.get(), &one, sizeof one);
}

void Worker::DrainWakeups() {
  uint64_t count = 0;
  [[maybe_unused]] ssize_t got = ::read(wake_.get(), &count, sizeof count);
}

void Worker::Run() {
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

  epoll_event events[kMaxEvents];
  while (!stop_requested_.load(std::memory_order_acquire)) {
    now_ms_ = SteadyMs();
    int ready = ::epoll_wait(epoll_.get(), events, kMaxEvents, EpollTimeoutMs(now_ms_));
    if (ready < 0 && errno != EINTR) {
      Emit(NewEvent(Level::kError, "worker_error", std::string("epoll_wait failed: ") + std::strerror(errno)));
      break;
    }
    now_ms_ = SteadyMs();
    for (int i = 0; i < ready; ++i) Dispatch(events[i].data.ptr, events[i].events);
    if (accept_pending_ && now_ms_ >= accept_backoff_until_) AcceptPending();
    RunYieldedFlows();
    ExpireDeadlines(now_ms_);
    if (stop_accepting_requested_.load(std::memory_order_acquire) && listener_.valid()) {
      CloseListener();
    }
    closed_.clear();
    FlushEvents(now_ms_, false);
  }
  // Stopping: every flow goes, its sockets with it.
  while (!flows_.empty()) Close(*flows_.begin()->second);
  closed_.clear();
  tools_.pipes.Clear();
  CloseListener();
  FlushEvents(SteadyMs(), true);
}

int Worker::EpollTimeoutMs(int64_t now_ms) const {
  if (!yielded_.empty()) return 0;
  int64_t next = std::min(header_deadlines_.Next(), connect_deadlines_.Next());
  if (accept_pending_) next = std::min(next, accept_backoff_until_);
  if (!events_.empty()) next = std::min(next, last_flush_ms_ + kFlushIntervalMs);
  if (next == INT64_MAX) return -1;
  return static_cast<int>(std::clamp<int64_t>(next - now_ms, 0, INT32_MAX));
}

void Worker::Dispatch(void* tag, uint32_t events) {
  if (tag == &wake_tag) {
    DrainWakeups();
    return;
  }
  if (tag == &listener_tag) {
    accept_pending_ = true;
    return;
  }
  Half& half = *static_cast<Half*>(tag);
  Flow& flow = *half.flow;
  if (flow.closed) return;  // closed earlier in this turn
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP)) half.readable = true;
  if (events & EPOLLRDHUP) half.fin_pending = true;
  if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) half.writable = true;
  switch (flow.info.state.load(std::memory_order_relaxed)) {
    case FlowState::kHeader:
      if (&half == &flow.client) OnHeaderReadable(flow);
      break;
    case FlowState::kConnecting:
      // Client bytes wait in its socket until the target answers.
      if (&half == &flow.target && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
        OnConnectResult(flow, events);
      }
      break;
    default:
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
}

void Worker::CloseListener() {
  if (listener_.valid()) {
    // Take what the kernel already queued for this listener: closing it would
    // reset those connections.
    accept_backoff_until_ = 0;
    while (AcceptOne()) {
    }
    listener_.Reset();
  }
  std::lock_guard<std::mutex> lock(listener_mutex_);
  listener_closed_ = true;
  listener_closed_cv_.notify_all();
}

void Worker::Emit(Event event) {
  if (events_.size() >= kMaxPendingEvents) {
    Bump(counters_.events_dropped);
    return;
  }
  events_.push_back(std::move(event));
}

void Worker::FlushEvents(int64_t now_ms, bool force) {
  if (events_.empty()) return;
  if (!force && now_ms - last_flush_ms_ < kFlushIntervalMs) return;
  size_t count = events_.size();
  if (!shared_.events->Post(std::move(events_))) Bump(counters_.events_dropped, count);
  events_ = EventBatch{};
  last_flush_ms_ = now_ms;
}

}  // namespace mmproxy::dataplane
