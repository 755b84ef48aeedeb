// Fixed-size heap blocks that hold bytes a socket would not take yet on the
// read/write path (the splice path keeps them in a pipe instead). Taken only
// while bytes are waiting and given back when drained, like pipes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace mmproxy::dataplane {

using Chunk = std::unique_ptr<uint8_t[]>;

class ChunkPool {
 public:
  // 32 KiB: what Go's io.Copy uses, so the copy path is no worse than
  // go-mmproxy's, and one read of this size is our signal that bulk data is
  // flowing (relay.cc switches to splice).
  static constexpr size_t kChunkBytes = 32 * 1024;

  Chunk Take() {
    if (idle_.empty()) return std::make_unique<uint8_t[]>(kChunkBytes);
    Chunk chunk = std::move(idle_.back());
    idle_.pop_back();
    return chunk;
  }
  void Give(Chunk chunk) {
    if (idle_.size() < kMaxIdle) idle_.push_back(std::move(chunk));
  }

 private:
  static constexpr size_t kMaxIdle = 64;  // 2 MiB per worker at most
  std::vector<Chunk> idle_;
};

}  // namespace mmproxy::dataplane
