#include "probe/datagram_probe.h"

#include <poll.h>
#include <sys/socket.h>

#include <array>
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
  ConnectResult failure;
  std::optional<ProbeSocket> probe = OpenProbeSocket(request, SOCK_DGRAM, &failure);
  if (!probe) return failure;
  const UniqueFd& fd = probe->fd;
  const Address& target = probe->target;
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
