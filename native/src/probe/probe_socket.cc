#include "probe/probe_socket.h"

#include <sys/socket.h>

#include <cerrno>
#include <cstdint>
#include <utility>

#include "os/socket_options.h"
#include "os/sockets.h"

namespace mmproxy::probe {

ConnectResult Failed(std::string syscall, int errnum) {
  ConnectResult result;
  result.outcome = ConnectOutcome::kError;
  result.errnum = errnum;
  result.syscall = std::move(syscall);
  return result;
}

std::optional<ProbeSocket> OpenProbeSocket(const ConnectRequest& request, int type, ConnectResult* failure) {
  ProbeSocket probe;
  if (!Address::FromIp(request.target_address, static_cast<uint16_t>(request.target_port), &probe.target)) {
    *failure = Failed("inet_pton", EINVAL);
    return std::nullopt;
  }
  probe.fd = UniqueFd(socket(probe.target.family(), type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!probe.fd.valid()) {
    *failure = Failed("socket", errno);
    return std::nullopt;
  }
  if (request.transparent) {
    if (const OptionResult r = SetTransparent(probe.fd.get(), probe.target.family()); !r) {
      *failure = Failed(r.syscall(), r.error);
      return std::nullopt;
    }
  }
  if (request.mark != 0) {
    if (const OptionResult r = SetMark(probe.fd.get(), request.mark); !r) {
      *failure = Failed(r.syscall(), r.error);
      return std::nullopt;
    }
  }
  if (!request.source_address.empty()) {
    Address source;
    if (!Address::FromIp(request.source_address, static_cast<uint16_t>(request.source_port), &source)) {
      *failure = Failed("inet_pton", EINVAL);
      return std::nullopt;
    }
    if (bind(probe.fd.get(), source.sockaddr_ptr(), source.length()) != 0) {
      *failure = Failed("bind", errno);
      return std::nullopt;
    }
  }
  return probe;
}

}  // namespace mmproxy::probe
