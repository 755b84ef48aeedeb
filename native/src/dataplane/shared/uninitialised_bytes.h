// Heap buffers whose pages the kernel supplies on first write. make_unique<
// uint8_t[]>(n) zeroes its bytes, which faults in every page at once: a
// worker's UDP batches (2 MiB each, sized for the largest datagram) would be
// resident from start-up whether or not a datagram ever arrives. Callers write
// before they read: recv, recvmmsg or a header fills what is then parsed or
// sent.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace mmproxy::dataplane {

// `count` bytes, default-initialised (not zeroed; new, not make_unique).
inline std::unique_ptr<uint8_t[]> UninitialisedBytes(size_t count) {
  return std::unique_ptr<uint8_t[]>(new uint8_t[count]);
}

}  // namespace mmproxy::dataplane
