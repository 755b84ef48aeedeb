#include "dataplane/sockets.h"

#include <sys/socket.h>

#include <cerrno>

#include "dataplane/socket_options.h"

namespace mmproxy::dataplane {
namespace {

// The kernel caps it at net.core.somaxconn; asking for the most lets the
// admin's setting decide.
constexpr int kListenBacklog = 65535;

SocketFailure FromOption(const OptionResult& result) {
  return SocketFailure{std::string("setsockopt(") + result.option + ")", result.error};
}

SocketFailure FromErrno(const char* step) { return SocketFailure{step, errno}; }

}  // namespace

SocketFailure OpenListener(const Address& address, const ListenOptions& options, UniqueFd* out) {
  int type = options.datagram ? SOCK_DGRAM : SOCK_STREAM;
  UniqueFd fd(::socket(address.family(), type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return FromErrno("socket");
  if (auto r = SetReuseAddr(fd.get()); !r) return FromOption(r);
  if (auto r = SetReusePort(fd.get()); !r) return FromOption(r);
  if (!options.datagram) {
    // Accepted sockets inherit it: one setsockopt per listener, not per client.
    if (auto r = SetNoDelay(fd.get()); !r) return FromOption(r);
  }
  if (!address.is_v4()) {
    if (auto r = SetV6Only(fd.get(), false); !r) return FromOption(r);
  }
  if (options.transparent) {
    if (auto r = SetTransparent(fd.get(), address.family()); !r) return FromOption(r);
  }
  if (::bind(fd.get(), address.sockaddr_ptr(), address.length()) != 0) return FromErrno("bind");
  if (!options.datagram && ::listen(fd.get(), kListenBacklog) != 0) return FromErrno("listen");
  *out = std::move(fd);
  return {};
}

SocketFailure StartConnect(const Address& target, const UpstreamOptions& options, UniqueFd* out) {
  int type = options.datagram ? SOCK_DGRAM : SOCK_STREAM;
  UniqueFd fd(::socket(target.family(), type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return FromErrno("socket");
  if (!options.datagram) {
    if (auto r = SetNoDelay(fd.get()); !r) return FromOption(r);
  }
  if (options.spoof_source != nullptr) {
    if (auto r = SetTransparent(fd.get(), target.family()); !r) return FromOption(r);
    if (auto r = SetReuseAddr(fd.get()); !r) return FromOption(r);
    if (options.mark != 0) {
      if (auto r = SetMark(fd.get(), options.mark); !r) return FromOption(r);
    }
    const Address& source = *options.spoof_source;
    if (::bind(fd.get(), source.sockaddr_ptr(), source.length()) != 0) return FromErrno("bind");
  }
  if (::connect(fd.get(), target.sockaddr_ptr(), target.length()) != 0 && errno != EINPROGRESS) {
    return FromErrno("connect");
  }
  *out = std::move(fd);
  return {};
}

}  // namespace mmproxy::dataplane
