// Buffers and headers for one recvmmsg(2) or sendmmsg(2) call: a batch of
// datagrams moved with one system call instead of one each.
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>

#include <array>
#include <cstdint>
#include <memory>

#include "dataplane/shared/uninitialised_bytes.h"

namespace mmproxy::dataplane {

class DatagramBatch {
 public:
  // 32 datagrams per call: most of the syscall saving, 2 MiB of buffers
  // (address space: a page is resident once a datagram has been written to it).
  static constexpr unsigned kSize = 32;
  // The largest UDP payload (65,507 bytes over IPv4) fits; bigger is cut and
  // reported with MSG_TRUNC.
  static constexpr size_t kBytes = 65536;

  DatagramBatch() : buffers_(UninitialisedBytes(kSize * kBytes)) {
    for (unsigned i = 0; i < kSize; ++i) {
      iov_[i] = {buffer(i), kBytes};
      headers_[i] = {};
      headers_[i].msg_hdr.msg_iov = &iov_[i];
      headers_[i].msg_hdr.msg_iovlen = 1;
    }
  }
  DatagramBatch(const DatagramBatch&) = delete;
  DatagramBatch& operator=(const DatagramBatch&) = delete;

  uint8_t* buffer(unsigned i) { return buffers_.get() + size_t{i} * kBytes; }
  mmsghdr* headers() { return headers_.data(); }
  mmsghdr& header(unsigned i) { return headers_[i]; }
  sockaddr_storage& address(unsigned i) { return addresses_[i]; }

  // Before recvmmsg: every slot takes a whole datagram and its sender.
  void PrepareReceive() {
    for (unsigned i = 0; i < kSize; ++i) {
      iov_[i].iov_len = kBytes;
      headers_[i].msg_hdr.msg_name = &addresses_[i];
      headers_[i].msg_hdr.msg_namelen = sizeof addresses_[i];
      headers_[i].msg_hdr.msg_flags = 0;
    }
  }
  // For sendmmsg: slot `i` carries `length` bytes of buffer(i) to `to`.
  void SetOutgoing(unsigned i, const sockaddr* to, socklen_t to_length, size_t length) {
    iov_[i].iov_len = length;
    headers_[i].msg_hdr.msg_name = const_cast<sockaddr*>(to);
    headers_[i].msg_hdr.msg_namelen = to_length;
  }

 private:
  std::unique_ptr<uint8_t[]> buffers_;
  std::array<iovec, kSize> iov_{};
  std::array<mmsghdr, kSize> headers_{};
  std::array<sockaddr_storage, kSize> addresses_{};
};

}  // namespace mmproxy::dataplane
