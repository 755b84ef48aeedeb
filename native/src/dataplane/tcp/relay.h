// Moves bytes from one half of a flow to the other. One function for both
// directions: relay(client, target) and relay(target, client).
#pragma once

#include <cstdint>

#include "dataplane/shared/config.h"
#include "dataplane/tcp/chunk_pool.h"
#include "dataplane/tcp/half.h"
#include "dataplane/tcp/pipe_pool.h"

namespace mmproxy::dataplane {

// A worker's shared tools for relaying, reused by every flow.
struct RelayTools {
  PipePool pipes;
  ChunkPool chunks;
  uint8_t* scratch = nullptr;         // at least ChunkPool::kChunkBytes
  RelayMode mode = RelayMode::kAuto;  // becomes kCopy if splice proves unsupported
};

enum class RelayStatus : uint8_t {
  kBlocked,  // waits for src readable or dst writable (epoll will say)
  kYield,    // moved its budget's worth; call again after other flows had a turn
  kDone,     // src sent FIN, everything was delivered, dst got shutdown(SHUT_WR)
  kError,    // a socket failed; *error holds errno (ECONNRESET, EPIPE, ...)
};

// Moves what src has read, then what it can read, to dst, until one of them
// would block, src ends, or the budget runs out. `moved` accumulates bytes
// written to dst.
RelayStatus Relay(Half& src, Half& dst, RelayTools& tools, uint64_t* moved, int* error);

}  // namespace mmproxy::dataplane
