// Incremental parser for the HAProxy PROXY protocol, versions 1 and 2, as
// specified in HAProxy's doc/proxy-protocol.txt. Pure: no I/O, no allocation.
//
// Feed it every byte received so far on a connection (not just the new ones):
// it answers kNeedMore, kComplete (with the header's length; bytes after it
// belong to the application), or kError at the earliest byte that proves the
// input cannot become a valid header.
#pragma once

#include <netinet/in.h>
#include <sys/un.h>

#include <cstddef>
#include <cstdint>

#include "proxy_header/error_codes.h"

namespace mmproxy::pp {

// "PROXY " + "UNKNOWN" + addresses + CRLF never exceeds 107 bytes (spec 2.1).
constexpr size_t kV1MaxLength = 107;
// 12-byte signature, version/command, family/transport, 2-byte length.
constexpr size_t kV2FixedLength = 16;
constexpr size_t kV2MaxLength = kV2FixedLength + 0xFFFF;

enum class Status : uint8_t { kNeedMore, kComplete, kError };
enum class Command : uint8_t { kLocal, kProxy };
enum class Family : uint8_t { kUnspec, kInet, kInet6, kUnix };
enum class Transport : uint8_t { kUnspec, kStream, kDgram };

// TLV types of spec section 2.2.
namespace tlv {
constexpr uint8_t kAlpn = 0x01;
constexpr uint8_t kAuthority = 0x02;
constexpr uint8_t kCrc32c = 0x03;
constexpr uint8_t kNoop = 0x04;
constexpr uint8_t kUniqueId = 0x05;
constexpr uint8_t kSsl = 0x20;
constexpr uint8_t kSslVersion = 0x21;
constexpr uint8_t kSslCn = 0x22;
constexpr uint8_t kSslCipher = 0x23;
constexpr uint8_t kSslSigAlg = 0x24;
constexpr uint8_t kSslKeyAlg = 0x25;
constexpr uint8_t kNetns = 0x30;
}  // namespace tlv

struct Header {
  uint8_t version = 0;  // 1 or 2
  // v1 "UNKNOWN" parses as kProxy with family kUnspec; v2 LOCAL as kLocal.
  // Either way the receiver must use the real connection's addresses.
  Command command = Command::kProxy;
  Family family = Family::kUnspec;
  Transport transport = Transport::kUnspec;  // v1 TCP4/TCP6 -> kStream
  // Filled for kInet (sockaddr_in) and kInet6 (sockaddr_in6), ports in
  // network order as in any sockaddr.
  sockaddr_storage source{};
  sockaddr_storage destination{};
  // Filled for kUnix: the 108-byte path fields, NUL-padded.
  char source_path[108] = {};
  char destination_path[108] = {};
  size_t length = 0;      // bytes of the whole header, CRLF/TLVs included
  size_t tlv_offset = 0;  // TLV area, as offsets into the parsed buffer
  size_t tlv_length = 0;

  bool UsesRealConnection() const { return command == Command::kLocal || family == Family::kUnspec; }
};

struct ParseResult {
  Status status = Status::kNeedMore;
  ErrorCode error = ErrorCode::kNone;  // set when status == kError
};

// Parses data[0, length). On kComplete, *header is filled; on other results
// its content is unspecified. Validates every TLV, including SSL sub-TLVs and
// the CRC32C checksum when present.
ParseResult Parse(const uint8_t* data, size_t length, Header* header);

// The bytes a v2 header takes in all (its 16 fixed bytes plus the length they
// announce), once those 16 are in data[0, length); 0 for anything else (v1, not
// yet known, not PROXY). Lets a reader that gets a long header in many pieces
// wait for more of it instead of parsing every piece.
size_t AnnouncedV2Length(const uint8_t* data, size_t length);

struct Tlv {
  uint8_t type = 0;
  const uint8_t* value = nullptr;
  uint16_t length = 0;
};

// Walks a TLV area that Parse() already validated (or an SSL TLV's sub-TLVs).
class TlvReader {
 public:
  TlvReader(const uint8_t* data, size_t length) : data_(data), length_(length) {}
  // Returns false at the end of the area.
  bool Next(Tlv* out);

 private:
  const uint8_t* data_;
  size_t length_;
  size_t offset_ = 0;
};

// CRC32C (Castagnoli) as the CRC32C TLV uses it; `crc` chains calls.
uint32_t Crc32c(const uint8_t* data, size_t length, uint32_t crc = 0);

}  // namespace mmproxy::pp
