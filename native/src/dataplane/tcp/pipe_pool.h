// Kernel pipes for splice(2), pooled per worker. A flow takes a pipe only
// while bytes are in flight and gives it back once it is empty, so idle
// flows hold none. A pipe that still holds data is never recycled: Give()
// requires an empty pipe, and the caller tracks the byte count.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "os/unique_fd.h"

namespace mmproxy::dataplane {

struct Pipe {
  UniqueFd read_end;
  UniqueFd write_end;
};

class PipePool {
 public:
  // Returns a pooled or new pipe; nullopt when the process is out of
  // descriptors (the caller falls back to read/write).
  std::optional<Pipe> Take();
  // `pipe` must be empty.
  void Give(Pipe pipe);
  // Closes every idle pipe.
  void Clear() { idle_.clear(); }

  // 256 KiB: four times the default pipe, enough for a 10 Gb/s burst per
  // wakeup, and within the unprivileged fs.pipe-max-size (1 MiB).
  static constexpr int kPipeBytes = 256 * 1024;

 private:
  // Enough idle pipes for every busy flow of a worker to find one quickly;
  // more would only pin kernel memory.
  static constexpr size_t kMaxIdle = 64;
  std::vector<Pipe> idle_;
};

}  // namespace mmproxy::dataplane
