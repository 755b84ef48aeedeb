#include "probe/connect_probe.h"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <string>
#include <utility>

#include "os/address.h"
#include "os/socket_options.h"
#include "os/sockets.h"
#include "os/unique_fd.h"

namespace mmproxy::probe {
namespace {

using Clock = std::chrono::steady_clock;

ConnectResult Failed(std::string syscall, int errnum) {
  ConnectResult result;
  result.outcome = ConnectOutcome::kError;
  result.errnum = errnum;
  result.syscall = std::move(syscall);
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
  Address target;
  if (!Address::FromIp(request.target_address, static_cast<uint16_t>(request.target_port), &target))
    return Failed("inet_pton", EINVAL);
  UniqueFd fd(socket(target.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return Failed("socket", errno);
  // The proxy's own wrappers, so a denied option fails here as it would
  // fail in the proxy, named the same way.
  if (request.transparent) {
    if (const OptionResult r = SetTransparent(fd.get(), target.family()); !r)
      return Failed(r.syscall(), r.error);
  }
  if (request.mark != 0) {
    if (const OptionResult r = SetMark(fd.get(), request.mark); !r) return Failed(r.syscall(), r.error);
  }
  if (!request.source_address.empty()) {
    Address source;
    if (!Address::FromIp(request.source_address, static_cast<uint16_t>(request.source_port), &source))
      return Failed("inet_pton", EINVAL);
    if (bind(fd.get(), source.sockaddr_ptr(), source.length()) != 0) return Failed("bind", errno);
  }
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
