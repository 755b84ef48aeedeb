#include "probe/connect_probe.h"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "os/address.h"
#include "os/socket_options.h"
#include "os/sockets.h"
#include "os/unique_fd.h"
#include "probe/probe_socket.h"

namespace mmproxy::probe {
namespace {

using Clock = std::chrono::steady_clock;

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
    const int error = TakeSocketError(fd);
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
  ConnectResult failure;
  std::optional<ProbeSocket> probe = OpenProbeSocket(request, SOCK_STREAM, &failure);
  if (!probe) return failure;
  const UniqueFd& fd = probe->fd;
  const Address& target = probe->target;
  ConnectResult result;
  if (connect(fd.get(), target.sockaddr_ptr(), target.length()) == 0) {
    result = Classify(-1);
  } else if (errno != EINPROGRESS) {
    result = Classify(errno);
  } else {
    result = Classify(AwaitConnect(fd.get(), started + std::chrono::milliseconds(request.timeout_ms)));
  }
  // The kernel picked the port at connect(): the doctor finds the probe's
  // own conntrack entry and judges port selectors with it.
  if (Address local; LocalAddress(fd.get(), &local)) result.local_port = local.port();
  // Reset rather than close politely: a probe must not leave a TIME_WAIT
  // entry holding the spoofed 4-tuple.
  SetResetOnClose(fd.get());
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
