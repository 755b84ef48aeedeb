#include "dataplane/shared/event_loop.h"

#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <system_error>

#include "dataplane/shared/clock.h"

namespace mmproxy::dataplane {
namespace {

// Events taken per epoll_wait: enough to amortise the call under load.
constexpr int kMaxEvents = 256;
// How long StopAccepting() waits for the loop to close a listener.
constexpr auto kStopAcceptingWait = std::chrono::seconds(2);

UniqueFd CheckedFd(int fd, const char* what) {
  if (fd < 0) throw std::system_error(errno, std::generic_category(), what);
  return UniqueFd(fd);
}

// Names the thread for `top -H` and blocks SIGPIPE on it.
void PrepareThread(unsigned index) {
  std::string name = "mmproxy-w" + std::to_string(index);
  pthread_setname_np(pthread_self(), name.c_str());
  // splice() into a socket the peer closed raises SIGPIPE (it has no
  // MSG_NOSIGNAL). Node ignores SIGPIPE, but an embedder might not: blocked
  // here, it stays pending on this thread and the call returns EPIPE.
  sigset_t pipe_signal;
  sigemptyset(&pipe_signal);
  sigaddset(&pipe_signal, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_signal, nullptr);
}

}  // namespace

EventLoop::EventLoop(unsigned index)
    : index_(index),
      epoll_(CheckedFd(::epoll_create1(EPOLL_CLOEXEC), "epoll_create1")),
      wake_(CheckedFd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC), "eventfd")) {
  epoll_event wake{EPOLLIN, {}};
  wake.data.ptr = &wake_tag_;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, wake_.get(), &wake) != 0) {
    throw std::system_error(errno, std::generic_category(), "epoll_ctl");
  }
  thread_ = std::thread([this] { Run(); });
}

EventLoop::~EventLoop() { Stop(); }

int EventLoop::Attach(LoopClient& client) { return Submit(Kind::kAttach, client, false); }

void EventLoop::StopAccepting(LoopClient& client) { Submit(Kind::kStopAccepting, client, true); }

void EventLoop::Detach(LoopClient& client) { Submit(Kind::kDetach, client, false); }

void EventLoop::Stop() {
  if (thread_.joinable()) {
    stop_requested_.store(true, std::memory_order_release);
    Wake();
    thread_.join();
  }
  wake_.Reset();
  epoll_.Reset();
  local_addresses_.Close();
}

int EventLoop::Submit(Kind kind, LoopClient& client, bool bounded) {
  auto command = std::make_shared<Command>(Command{kind, &client});
  std::unique_lock<std::mutex> lock(mutex_);
  // Once stopped, the loop detached every client on its way out.
  if (stopped_) return ESHUTDOWN;
  commands_.push_back(command);
  Wake();
  auto done = [&] { return command->done; };
  if (bounded) {
    command_done_.wait_for(lock, kStopAcceptingWait, done);
  } else {
    command_done_.wait(lock, done);
  }
  return command->result;
}

void EventLoop::Wake() {
  uint64_t one = 1;
  // EAGAIN means the counter is already non-zero: the loop wakes anyway.
  [[maybe_unused]] ssize_t written = ::write(wake_.get(), &one, sizeof one);
}

void EventLoop::DrainWakeups() {
  uint64_t count = 0;
  [[maybe_unused]] ssize_t got = ::read(wake_.get(), &count, sizeof count);
}

void EventLoop::Run() {
  PrepareThread(index_);
  epoll_event events[kMaxEvents];
  while (!stop_requested_.load(std::memory_order_acquire)) {
    int64_t now_ms = SteadyMs();
    int ready = ::epoll_wait(epoll_.get(), events, kMaxEvents, TimeoutMs(now_ms));
    if (ready < 0 && errno != EINTR) {
      int error = errno;
      for (LoopClient* client : clients_) client->LoopFailed(error);
      break;
    }
    now_ms = SteadyMs();
    bool woken = false;
    for (int i = 0; i < ready; ++i) {
      auto* tag = static_cast<EpollTag*>(events[i].data.ptr);
      if (tag->client == nullptr) {
        woken = true;
      } else {
        tag->client->OnEvent(tag->object, events[i].events, now_ms);
      }
    }
    for (LoopClient* client : clients_) client->AfterEvents(now_ms);
    // Last in the turn: no event of this turn points at a detached client.
    if (woken) {
      DrainWakeups();
      RunCommands(now_ms);
    }
  }
  DetachAll();
}

int EventLoop::TimeoutMs(int64_t now_ms) const {
  int64_t next = INT64_MAX;
  for (const LoopClient* client : clients_) next = std::min(next, client->NextDeadlineMs());
  if (next == INT64_MAX) return -1;
  return static_cast<int>(std::clamp<int64_t>(next - now_ms, 0, INT32_MAX));
}

void EventLoop::RunCommands(int64_t now_ms) {
  std::vector<std::shared_ptr<Command>> turn;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    turn.swap(commands_);
  }
  for (auto& command : turn) Carry(*command, now_ms);
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& command : turn) command->done = true;
  command_done_.notify_all();
}

void EventLoop::Carry(Command& command, int64_t now_ms) {
  LoopClient* client = command.client;
  auto attached = std::find(clients_.begin(), clients_.end(), client);
  switch (command.kind) {
    case Kind::kAttach:
      if (attached != clients_.end()) return;
      command.result = client->Attached(now_ms);
      if (command.result == 0) clients_.push_back(client);
      return;
    case Kind::kStopAccepting:
      if (attached != clients_.end()) client->CloseListener();
      return;
    case Kind::kDetach:
      if (attached == clients_.end()) return;
      client->Detached();
      clients_.erase(attached);
      return;
  }
}

// On the way out (stopped or failed): every client goes, and so does every
// command still waiting; later ones are refused (Submit, stopped_).
void EventLoop::DetachAll() {
  for (LoopClient* client : clients_) client->Detached();
  clients_.clear();
  std::lock_guard<std::mutex> lock(mutex_);
  stopped_ = true;
  for (auto& command : commands_) {
    command->result = ESHUTDOWN;
    command->done = true;
  }
  commands_.clear();
  command_done_.notify_all();
}

}  // namespace mmproxy::dataplane
