// The socket a probe sends from, made as the proxy makes its upstream
// sockets, for the TCP probe (connect_probe) and the UDP one (datagram_probe).
#pragma once

#include <optional>
#include <string>

#include "os/address.h"
#include "os/unique_fd.h"
#include "probe/connect_probe.h"

namespace mmproxy::probe {

// A probe that failed at `syscall` with `errnum`, as its result.
ConnectResult Failed(std::string syscall, int errnum);

struct ProbeSocket {
  UniqueFd fd;
  Address target;
};

// A non-blocking socket of `type` (SOCK_STREAM or SOCK_DGRAM) for the
// request's target, with the proxy's own option wrappers (IP_TRANSPARENT,
// SO_MARK: a denied option fails here as it would in the proxy, named the
// same way), bound to the request's source when it names one. Empty when a
// step failed; *failure then says which.
std::optional<ProbeSocket> OpenProbeSocket(const ConnectRequest& request, int type, ConnectResult* failure);

}  // namespace mmproxy::probe
