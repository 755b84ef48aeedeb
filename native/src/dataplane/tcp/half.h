// One side of a flow, HAProxy-style: the socket, its readiness as epoll last
// reported it (edge-triggered, so we remember it), and the bytes read from it
// that the other side has not taken yet. relay(src, dst) moves bytes from one
// half to the other; the same code serves both directions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "dataplane/shared/event_loop.h"
#include "dataplane/tcp/chunk_pool.h"
#include "dataplane/tcp/pipe_pool.h"
#include "os/unique_fd.h"

namespace mmproxy::dataplane {

struct Flow;

struct Half {
  UniqueFd fd;
  Flow* flow = nullptr;  // epoll hands us the Half; this finds the flow
  EpollTag tag;          // its epoll registration's: the worker and this Half
  bool watched = false;  // in the loop's epoll set

  // Readiness: set by epoll events, cleared when a call says the socket is
  // drained (EAGAIN or a short read) or full (EAGAIN or a short write).
  bool readable = false;
  bool writable = false;
  // epoll reported EPOLLRDHUP: a FIN is queued behind the data, so a short
  // read does not mean "wait for the next edge" (no edge will come).
  bool fin_pending = false;
  // epoll reported EPOLLERR: a reset or error waits behind any queued bytes.
  bool error_pending = false;

  // Bytes read from `fd` and not yet written to the other side: at most one
  // of the pipe (splice path) and the chunk (read/write path) holds any.
  std::optional<Pipe> pipe;
  size_t piped = 0;
  Chunk chunk;
  size_t chunk_offset = 0;
  size_t chunk_length = 0;

  bool bulk = false;  // last read filled a chunk: splice the next ones
  // In a BPF sockhash whose program passes its bytes to its psock's queue (a
  // flow taken back from the fast path): only recv() reads them, as splice
  // reads the receive queue, which the program empties.
  bool psock_queue = false;
  // Its flow is in the maps: an EOF read here waits for the FIN's own event,
  // which takes the flow back first (worker_fast.cc), so that the FIN cannot
  // overtake bytes the program redirected.
  bool hold_eof = false;
  bool eof = false;            // read() returned 0: the peer sent FIN
  bool done = false;           // FIN passed on with shutdown(SHUT_WR) on the other side
  uint64_t bytes_relayed = 0;  // read from this side and written to the other

  bool pending() const { return piped > 0 || chunk_length > chunk_offset; }
};

}  // namespace mmproxy::dataplane
