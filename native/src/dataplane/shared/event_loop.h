// One worker thread of a pool: one epoll loop serving every client attached to
// it (a client is one data plane's TCP or UDP worker on this thread), so fifty
// listeners cost the threads of one. Each turn is one epoll_wait for all
// clients; each event goes to the client its tag names; then every client does
// its after-events work once. Attach, stop-accepting and detach reach the loop
// as commands (a mutex-guarded list and the wake eventfd) and run on the loop
// thread at the end of a turn, while the caller waits.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "dataplane/shared/local_addresses.h"
#include "os/unique_fd.h"

namespace mmproxy::dataplane {

class LoopClient;

// What every epoll registration's data.ptr points at: the client that owns
// the descriptor and the object the client knows it by (a Half, a UdpSession;
// none for its listener).
struct EpollTag {
  LoopClient* client = nullptr;
  void* object = nullptr;
};

// The loop's side of a client. Every call runs on the loop thread.
class LoopClient {
 public:
  virtual ~LoopClient() = default;
  // Just attached: register the listener. Returns 0, or the errno that
  // stopped it (the client is then not attached).
  virtual int Attached(int64_t now_ms) = 0;
  virtual void OnEvent(void* object, uint32_t events, int64_t now_ms) = 0;
  // When this client next needs a turn without an event (steady ms; at or
  // before now: at once), or INT64_MAX.
  virtual int64_t NextDeadlineMs() const = 0;
  // Once per turn, after the events of every client.
  virtual void AfterEvents(int64_t now_ms) = 0;
  // Takes what the listener has queued, then closes it.
  virtual void CloseListener() = 0;
  // The loop failed (epoll_wait): say so before being detached.
  virtual void LoopFailed(int error) = 0;
  // Closes every flow and the listener and posts the last events: after this
  // no descriptor of the client is in the epoll set.
  virtual void Detached() = 0;
};

class EventLoop {
 public:
  // Starts the thread, named mmproxy-w<index>. Throws std::system_error when
  // epoll, the eventfd or the netlink socket cannot be created.
  explicit EventLoop(unsigned index);
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;
  ~EventLoop();

  // Each waits until the loop has carried the command out. Attach returns 0 or
  // the errno that refused the client (ESHUTDOWN: the loop has stopped).
  // StopAccepting waits at most a bounded time; Detach until done (after it
  // the loop holds no pointer to the client).
  int Attach(LoopClient& client);
  void StopAccepting(LoopClient& client);
  void Detach(LoopClient& client);
  // Detaches every client still attached and joins the thread. Idempotent.
  void Stop();

  unsigned index() const { return index_; }
  // For clients, on the loop thread.
  int epoll_fd() const { return epoll_.get(); }
  LocalAddresses& local_addresses() { return local_addresses_; }

 private:
  enum class Kind { kAttach, kStopAccepting, kDetach };
  struct Command {
    Kind kind;
    LoopClient* client;
    int result = 0;
    bool done = false;  // guarded by mutex_
  };

  // Queues a command, wakes the loop and waits for it (`bounded`: at most
  // kCommandWait). Returns the command's result; ESHUTDOWN once stopped.
  int Submit(Kind kind, LoopClient& client, bool bounded);
  void Wake();
  void Run();
  int TimeoutMs(int64_t now_ms) const;
  void RunCommands(int64_t now_ms);
  void DrainWakeups();
  void Carry(Command& command, int64_t now_ms);
  void DetachAll();

  const unsigned index_;
  UniqueFd epoll_;
  UniqueFd wake_;
  EpollTag wake_tag_;  // client null: the loop's own eventfd
  LocalAddresses local_addresses_;
  std::vector<LoopClient*> clients_;  // loop thread only
  std::atomic<bool> stop_requested_{false};

  std::mutex mutex_;
  std::condition_variable command_done_;
  std::vector<std::shared_ptr<Command>> commands_;  // guarded by mutex_
  bool stopped_ = false;                            // guarded by mutex_: the loop runs no more
  std::thread thread_;
};

}  // namespace mmproxy::dataplane
