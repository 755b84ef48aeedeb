// Picks the version from the first byte ('P' for v1, CR for v2's signature)
// and rejects anything else at once: a client speaking HTTP, TLS or SSH
// directly fails on its first byte.
#include <cstring>

#include "proxy_header/internal.h"

namespace mmproxy::pp {
namespace {

constexpr uint8_t kV1FirstByte = 'P';
constexpr uint8_t kV2FirstByte = '\r';

}  // namespace

ParseResult Parse(const uint8_t* data, size_t length, Header* header) {
  if (length == 0) return {Status::kNeedMore, ErrorCode::kNone};
  switch (data[0]) {
    case kV1FirstByte:
      return ParseV1(data, length, header);
    case kV2FirstByte:
      return ParseV2(data, length, header);
    default:
      return {Status::kError, ErrorCode::kNotProxyProtocol};
  }
}

}  // namespace mmproxy::pp
