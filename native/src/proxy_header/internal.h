// The pieces Parse() dispatches to. Internal to the codec (and its fuzzer):
// the rest of the addon uses parser.h only.
#pragma once

#include <cstddef>
#include <cstdint>

#include "proxy_header/parser.h"

namespace mmproxy::pp {

// Both expect data[0, length) to agree with their version's signature as far
// as it goes (Parse() checks that before dispatching).
ParseResult ParseV1(const uint8_t* data, size_t length, Header* header);
ParseResult ParseV2(const uint8_t* data, size_t length, Header* header);

// Verdict on a v2 TLV area data[begin, end) of which data[begin, available)
// has arrived. kComplete means the whole area arrived and every TLV is framed
// and sized as its type requires; kError comes at the first TLV whose header
// proves the area invalid, even before the rest arrives.
struct TlvAreaCheck {
  ParseResult result;
  bool has_crc32c = false;
  size_t crc32c_value_offset = 0;  // where the 4 checksum bytes sit in data
};
TlvAreaCheck CheckTlvArea(const uint8_t* data, size_t begin, size_t end, size_t available);

}  // namespace mmproxy::pp
