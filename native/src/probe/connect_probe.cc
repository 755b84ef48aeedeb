#include "probe/connect_probe.h"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>

#include "probe/socket_address.h"
#include "probe/socket_options.h"
#include "probe/unique_fd.h"

namespace mmproxy::probe {
namespace {

using Clock = std::chrono::steady_clock;

ConnectResult Failed(const char* syscall, int errnum) {
  ConnectResult result;
  result.outcome = ConnectOutcome::kError;
  result.errnum = errnum;
  result.syscall = syscall;
  return result;
}

// Waits for the non-blocking connect to finish; returns 0 on timeout, else
// the socket's pending error (0 meaning connected is reported as -1).
int AwaitConnect(int fd, const Clock::time_point deadline) {
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return 0;
    pollfd entry{fd, POLLOUT, 0};
    const int ready = poll(&entry, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return 0;
    int error = 0;
    socklen_t length = sizeof(error);
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
    return error == 0 ? -1 : error;
  }
}

ConnectResult Classify(int pending) {
  ConnectResult result;
  if (pending == 0) {
    result.outcome = ConnectOutcome::kTimeout;
  } else if (pending == -1) {
    result.outcome = ConnectOutcome::kConnected;
  } else if (pending == ECONNREFUSED) {
    result.outcome = ConnectOutcome::kRefused;
    result.errnum = pending;
    result.syscall = "connect";
  } else if (pending == ETIMEDOUT) {
    result.outcome = ConnectOutcome::kTimeout;
  } else {
    return Failed("connect", pending);
  }
  return result;
}

}  // namespace

ConnectResult RunConnectProbe(const ConnectRequest& request) {
  const auto started = Clock::now();
  SocketAddress target;
  if (!ParseSocketAddress(request.target_address, request.target_port, &target)) {
    return Failed("inet_pton", EINVAL);
  }
  UniqueFd fd(socket(target.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return Failed("socket", errno);
  if (request.transparent) {
    if (const int error = SetTransparent(fd.get(), target.family))
      return Failed("setsockopt(IP_TRANSPARENT)", error);
  }
  if (request.mark != 0) {
    if (const int error = SetMark(fd.get(), request.mark)) return Failed("setsockopt(SO_MARK)", error);
  }
  if (!request.source_address.empty()) {
    SocketAddress source;
    if (!ParseSocketAddress(request.source_address, request.source_port, &source)) {
      return Failed("inet_pton", EINVAL);
    }
    if (bind(fd.get(), reinterpret_cast<sockaddr*>(&source.storage), source.length) != 0) {
      return Failed("bind", errno);
    }
  }
  ConnectResult result;
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&target.storage), target.length) == 0) {
    result = Classify(-1);
  } else if (errno != EINPROGRESS) {
    result = Classify(errno);
  } else {
    result = Classify(AwaitConnect(fd.get(), started + std::chrono::milliseconds(request.timeout_ms)));
  }
  // Reset rather than close politely: a probe must not leave a TIME_WAIT
  // entry holding the spoofed 4-tuple.
  const linger reset{1, 0};
  setsockopt(fd.get(), SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
  result.elapsed_ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
  return result;
}

const char* OutcomeName(ConnectOutcome outcome) {
  switch (outcome) {
    case ConnectOutcome::kConnected:
      return "connected";
    case ConnectOutcome::kRefused:
      return "refused";
    case ConnectOutcome::kTimeout:
      return "timeout";
    case ConnectOutcome::kError:
      return "error";
  }
  return "error";
}

}  // namespace mmproxy::probe
