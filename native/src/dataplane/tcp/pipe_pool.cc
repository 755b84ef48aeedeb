#include "dataplane/tcp/pipe_pool.h"

#include <fcntl.h>
#include <unistd.h>

namespace mmproxy::dataplane {

std::optional<Pipe> PipePool::Take() {
  if (!idle_.empty()) {
    Pipe pipe = std::move(idle_.back());
    idle_.pop_back();
    return pipe;
  }
  int ends[2];
  if (::pipe2(ends, O_NONBLOCK | O_CLOEXEC) != 0) return std::nullopt;
  Pipe pipe{UniqueFd(ends[0]), UniqueFd(ends[1])};
  // Best effort: a smaller pipe (limit lowered by the admin) only means more
  // splice calls per megabyte.
  ::fcntl(pipe.write_end.get(), F_SETPIPE_SZ, kPipeBytes);
  return pipe;
}

void PipePool::Give(Pipe pipe) {
  if (idle_.size() < kMaxIdle) idle_.push_back(std::move(pipe));
}

}  // namespace mmproxy::dataplane
