#include "probe/datagram_probe.h"

#include <poll.h>
#include <sys/socket.h>

#include <array>
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

// A reply's content does not matter, only that one came back: a small
// buffer suffices (the rest of a longer datagram is discarded).
constexpr size_t kReplyBufferBytes = 512;

// Waits for a datagram: kConnected when one arrived, kRefused when the
// kernel queued ECONNREFUSED (ICMP port unreachable), kTimeout at the deadline.
ConnectResult AwaitReply(int fd, const Clock::time_point deadline) {
  std::array<char, kReplyBufferBytes> buffer{};
  ConnectResult result;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) break;
    pollfd entry{fd, POLLIN, 0};
    const int ready = poll(&entry, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) break;
    if (recv(fd, buffer.data(), buffer.size(), MSG_DONTWAIT) >= 0) {
      result.outcome = ConnectOutcome::kConnected;
      return result;
    }
    // EAGAIN: a datagram that failed its checksum was dropped; wait on.
    if (errno == EAGAIN || errno == EINTR) continue;
    if (errno == ECONNREFUSED) {
      result.outcome = ConnectOutcome::kRefused;
      result.errnum = errno;
      result.syscall = "recv";
      return result;
    }
    return Failed("recv", errno);
  }
  result.outcome = ConnectOutcome::kTimeout;
  return result;
}

}  // namespace

ConnectResult RunDatagramProbe(const ConnectRequest& request) {
  const auto started = Clock::now();
  Address target;
  if (!Address::FromIp(request.target_address, static_cast<uint16_t>(request.target_port), &target))
    return Failed("inet_pton", EINVAL);
  UniqueFd fd(socket(target.family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return Failed("socket", errno);
  // The proxy's own wrappers, as for the TCP probe.
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
  // connect() on UDP only sets the peer: the kernel then delivers nothing
  // but datagrams from exactly the target's address and port.
  if (connect(fd.get(), target.sockaddr_ptr(), target.length()) != 0) return Failed("connect", errno);
  ConnectResult result;
  if (send(fd.get(), kDatagramProbePayload, sizeof kDatagramProbePayload - 1, 0) >= 0) {
    result = AwaitReply(fd.get(), started + std::chrono::milliseconds(request.timeout_ms));
  } else if (errno == ECONNREFUSED) {
    // An earlier datagram's port unreachable, reported on this send.
    result.outcome = ConnectOutcome::kRefused;
    result.errnum = ECONNREFUSED;
    result.syscall = "send";
  } else {
    result = Failed("send", errno);
  }
  if (Address local; LocalAddress(fd.get(), &local)) result.local_port = local.port();
  result.elapsed_ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
  return result;
}

}  // namespace mmproxy::probe
