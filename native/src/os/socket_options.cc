#include "os/socket_options.h"

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <cerrno>

namespace mmproxy {
namespace {

OptionResult SetInt(int fd, int level, int name, int value, const char* option) {
  int rc = ::setsockopt(fd, level, name, &value, sizeof value);
  return OptionResult{option, rc == 0 ? 0 : errno};
}

}  // namespace

OptionResult SetTransparent(int fd, sa_family_t family) {
  if (family == AF_INET6) return SetInt(fd, SOL_IPV6, IPV6_TRANSPARENT, 1, "IPV6_TRANSPARENT");
  return SetInt(fd, SOL_IP, IP_TRANSPARENT, 1, "IP_TRANSPARENT");
}

OptionResult SetReusePort(int fd) { return SetInt(fd, SOL_SOCKET, SO_REUSEPORT, 1, "SO_REUSEPORT"); }

OptionResult SetReuseAddr(int fd) { return SetInt(fd, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR"); }

OptionResult SetV6Only(int fd, bool only) {
  return SetInt(fd, IPPROTO_IPV6, IPV6_V6ONLY, only ? 1 : 0, "IPV6_V6ONLY");
}

OptionResult SetMark(int fd, unsigned mark) {
  return SetInt(fd, SOL_SOCKET, SO_MARK, static_cast<int>(mark), "SO_MARK");
}

OptionResult SetBindAddressNoPort(int fd) {
  return SetInt(fd, SOL_IP, IP_BIND_ADDRESS_NO_PORT, 1, "IP_BIND_ADDRESS_NO_PORT");
}

OptionResult SetNoDelay(int fd) { return SetInt(fd, IPPROTO_TCP, TCP_NODELAY, 1, "TCP_NODELAY"); }

OptionResult SetDeferAccept(int fd, unsigned seconds) {
  return SetInt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, static_cast<int>(seconds), "TCP_DEFER_ACCEPT");
}

OptionResult SetResetOnClose(int fd) {
  linger value{1, 0};
  int rc = ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &value, sizeof value);
  return OptionResult{"SO_LINGER", rc == 0 ? 0 : errno};
}

OptionResult SetKeepAliveProbes(int fd, unsigned idle_s, unsigned interval_s, unsigned count) {
  if (auto r = SetInt(fd, SOL_SOCKET, SO_KEEPALIVE, 1, "SO_KEEPALIVE"); !r) return r;
  if (auto r = SetInt(fd, IPPROTO_TCP, TCP_KEEPIDLE, static_cast<int>(idle_s), "TCP_KEEPIDLE"); !r) return r;
  if (auto r = SetInt(fd, IPPROTO_TCP, TCP_KEEPINTVL, static_cast<int>(interval_s), "TCP_KEEPINTVL"); !r)
    return r;
  return SetInt(fd, IPPROTO_TCP, TCP_KEEPCNT, static_cast<int>(count), "TCP_KEEPCNT");
}

OptionResult SetUserTimeout(int fd, unsigned timeout_ms) {
  return SetInt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, static_cast<int>(timeout_ms), "TCP_USER_TIMEOUT");
}

bool IsTcpClosed(int fd) {
  tcp_info info{};
  socklen_t length = sizeof info;
  return ::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &length) == 0 && info.tcpi_state == TCP_CLOSE;
}

int TakeSocketError(int fd) {
  int error = 0;
  socklen_t length = sizeof error;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) return errno;
  return error;
}

}  // namespace mmproxy
