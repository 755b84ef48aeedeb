#include "os/sockets.h"

#include <sys/socket.h>

#include <cerrno>

#include "os/socket_options.h"

namespace mmproxy {
namespace {

// The kernel caps it at net.core.somaxconn; asking for the most lets the
// admin's setting decide.
constexpr int kListenBacklog = 65535;

SocketFailure FromOption(const OptionResult& result) { return SocketFailure{result.syscall(), result.error}; }

SocketFailure FromErrno(const char* step) { return SocketFailure{step, errno}; }

// A bound socket set up as the listeners are, except for SO_REUSEPORT
// (`share`) and, for UDP, SO_REUSEADDR: for UDP that option alone lets two
// sockets bind the same port, for TCP it only skips TIME_WAIT leftovers.
SocketFailure BindLikeListener(const Address& address, const ListenOptions& options, bool share,
                               UniqueFd* out) {
  int type = options.datagram ? SOCK_DGRAM : SOCK_STREAM;
  UniqueFd fd(::socket(address.family(), type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return FromErrno("socket");
  if (share || !options.datagram) {
    if (auto r = SetReuseAddr(fd.get()); !r) return FromOption(r);
  }
  if (share) {
    if (auto r = SetReusePort(fd.get()); !r) return FromOption(r);
  }
  if (!address.is_v4()) {
    if (auto r = SetV6Only(fd.get(), false); !r) return FromOption(r);
  }
  if (options.transparent) {
    if (auto r = SetTransparent(fd.get(), address.family()); !r) return FromOption(r);
  }
  if (::bind(fd.get(), address.sockaddr_ptr(), address.length()) != 0) return FromErrno("bind");
  *out = std::move(fd);
  return {};
}

}  // namespace

SocketFailure CheckPortFree(const Address& address, const ListenOptions& options) {
  UniqueFd probe;
  return BindLikeListener(address, options, false, &probe);
}

SocketFailure OpenListener(const Address& address, const ListenOptions& options, UniqueFd* out) {
  UniqueFd fd;
  if (auto failure = BindLikeListener(address, options, true, &fd)) return failure;
  if (!options.datagram) {
    // Accepted sockets inherit it: one setsockopt per listener, not per client.
    if (auto r = SetNoDelay(fd.get()); !r) return FromOption(r);
    if (options.keepalive.enabled()) {
      if (auto r = ApplyKeepAlive(fd.get(), options.keepalive); !r) return FromOption(r);
    }
    if (options.defer_accept_s != 0) {
      if (auto r = SetDeferAccept(fd.get(), options.defer_accept_s); !r) return FromOption(r);
    }
    if (::listen(fd.get(), kListenBacklog) != 0) return FromErrno("listen");
  }
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
    Address source = *options.spoof_source;
    // Not on a UDP socket that takes an ephemeral port: without SO_REUSEADDR
    // bind() picks a port that no socket on the address holds, other
    // sessions' included.
    if (!(options.ephemeral_port && options.datagram)) {
      if (auto r = SetReuseAddr(fd.get()); !r) return FromOption(r);
    }
    if (options.ephemeral_port) {
      source.set_port(0);
      // TCP picks the port at connect(), free for this target.
      if (!options.datagram) {
        if (auto r = SetBindAddressNoPort(fd.get()); !r) return FromOption(r);
      }
    }
    if (options.mark != 0) {
      if (auto r = SetMark(fd.get(), options.mark); !r) return FromOption(r);
    }
    if (::bind(fd.get(), source.sockaddr_ptr(), source.length()) != 0) return FromErrno("bind");
  }
  if (::connect(fd.get(), target.sockaddr_ptr(), target.length()) != 0 && errno != EINPROGRESS) {
    return FromErrno("connect");
  }
  *out = std::move(fd);
  return {};
}

bool LocalAddress(int fd, Address* out) {
  sockaddr_storage storage{};
  socklen_t length = sizeof storage;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length) != 0) return false;
  *out = Address::FromKernel(storage);
  return true;
}

}  // namespace mmproxy
