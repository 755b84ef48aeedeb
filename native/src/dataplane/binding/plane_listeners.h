// A data plane's listening sockets, made on the JavaScript thread so that a
// failure throws with its syscall and errno: bound anew, or duplicated from
// a running plane that hands them over (adoptListenersFrom).
#pragma once

#include <napi.h>

#include <vector>

#include "dataplane/shared/config.h"
#include "os/address.h"
#include "os/unique_fd.h"

namespace mmproxy::dataplane {

// One SO_REUSEPORT listener per worker. With port 0 the first one picks the
// port and the others join it. Unless asked to share, a port some other
// socket holds is refused first. `bound`: the address with the port taken.
std::vector<UniqueFd> OpenListeners(Napi::Env env, const Config& config, Address* bound);

// Duplicates of `fds` (the old plane's listeners, open while it listens);
// `bound` names them in the error.
std::vector<UniqueFd> DuplicateListeners(Napi::Env env, const std::vector<int>& fds, const Address& bound);

}  // namespace mmproxy::dataplane
