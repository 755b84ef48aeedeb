// Owns one shared memory mapping of a descriptor: unmapped exactly once,
// when the owner goes away.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <utility>

namespace mmproxy {

class Mapping {
 public:
  Mapping() = default;
  // MAP_SHARED, `length` bytes of `fd` from `offset`; check valid().
  Mapping(int fd, size_t length, int protection, off_t offset) : length_(length) {
    void* address = ::mmap(nullptr, length, protection, MAP_SHARED, fd, offset);
    address_ = address == MAP_FAILED ? nullptr : address;
  }
  Mapping(Mapping&& other) noexcept
      : address_(std::exchange(other.address_, nullptr)), length_(std::exchange(other.length_, 0)) {}
  Mapping& operator=(Mapping&& other) noexcept {
    if (this != &other) {
      Reset();
      address_ = std::exchange(other.address_, nullptr);
      length_ = std::exchange(other.length_, 0);
    }
    return *this;
  }
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  ~Mapping() { Reset(); }

  bool valid() const { return address_ != nullptr; }
  void* get() const { return address_; }

 private:
  void Reset() {
    if (address_ != nullptr) ::munmap(address_, length_);
    address_ = nullptr;
  }

  void* address_ = nullptr;
  size_t length_ = 0;
};

}  // namespace mmproxy
