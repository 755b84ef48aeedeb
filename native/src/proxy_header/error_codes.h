// Every way a PROXY header can be rejected. One X-macro list feeds the enum,
// the stable string codes (exported to TypeScript, used as counter labels)
// and the messages, so the three can never drift apart.
#pragma once

#include <cstddef>
#include <cstdint>

namespace mmproxy::pp {

// X(enumerator, "STABLE_CODE", "message for a human")
#define MMPROXY_PP_ERRORS(X)                                                                                 \
  X(kNotProxyProtocol, "ERR_NOT_PROXY_PROTOCOL", "data does not start with a PROXY v1 or v2 signature")      \
  X(kV1TooLong, "ERR_V1_TOO_LONG", "v1 header has no CRLF within 107 bytes")                                 \
  X(kV1BadProtocol, "ERR_V1_BAD_PROTOCOL", "v1 protocol is not TCP4, TCP6 or UNKNOWN")                       \
  X(kV1BadSeparator, "ERR_V1_BAD_SEPARATOR", "v1 fields must be separated by exactly one space")             \
  X(kV1BadSourceAddress, "ERR_V1_BAD_SOURCE_ADDRESS", "v1 source address is not valid for its family")       \
  X(kV1BadDestinationAddress, "ERR_V1_BAD_DESTINATION_ADDRESS",                                              \
    "v1 destination address is not valid for its family")                                                    \
  X(kV1BadSourcePort, "ERR_V1_BAD_SOURCE_PORT", "v1 source port is not a number from 0 to 65535")            \
  X(kV1BadDestinationPort, "ERR_V1_BAD_DESTINATION_PORT",                                                    \
    "v1 destination port is not a number from 0 to 65535")                                                   \
  X(kV1BadTerminator, "ERR_V1_BAD_TERMINATOR", "v1 header must end with CRLF right after the last field")    \
  X(kV2BadVersion, "ERR_V2_BAD_VERSION", "v2 version nibble is not 2")                                       \
  X(kV2BadCommand, "ERR_V2_BAD_COMMAND", "v2 command is neither LOCAL nor PROXY")                            \
  X(kV2BadFamily, "ERR_V2_BAD_FAMILY", "v2 address family is not UNSPEC, INET, INET6 or UNIX")               \
  X(kV2BadTransport, "ERR_V2_BAD_TRANSPORT", "v2 transport is not UNSPEC, STREAM or DGRAM")                  \
  X(kV2AddressTooShort, "ERR_V2_ADDRESS_TOO_SHORT",                                                          \
    "v2 length is smaller than the address block of its family")                                             \
  X(kV2TlvTruncated, "ERR_V2_TLV_TRUNCATED", "v2 TLV runs past the end of the header")                       \
  X(kV2BadTlvLength, "ERR_V2_BAD_TLV_LENGTH", "v2 TLV has a length its type does not allow")                 \
  X(kV2Crc32cMismatch, "ERR_V2_CRC32C_MISMATCH", "v2 CRC32C TLV does not match the header")                  \
  X(kV2SslTlvMalformed, "ERR_V2_SSL_TLV_MALFORMED", "v2 SSL TLV or one of its sub-TLVs is malformed")        \
  X(kV2BadFamilyTransport, "ERR_V2_BAD_FAMILY_TRANSPORT",                                                    \
    "v2 family and transport are not one of the combinations the spec lists (0x00, 0x11, 0x12, 0x21, 0x22, " \
    "0x31, 0x32)")                                                                                           \
  X(kV2DuplicateCrc32c, "ERR_V2_DUPLICATE_CRC32C", "v2 header carries more than one CRC32C TLV")

enum class ErrorCode : uint8_t {
  kNone,
#define MMPROXY_PP_ENUM(name, code, message) name,
  MMPROXY_PP_ERRORS(MMPROXY_PP_ENUM)
#undef MMPROXY_PP_ENUM
      kCount
};

constexpr size_t kErrorCodeCount = static_cast<size_t>(ErrorCode::kCount);

// "ERR_V1_TOO_LONG" and so on; "OK" for kNone.
const char* ErrorCodeName(ErrorCode error);
const char* ErrorMessage(ErrorCode error);

}  // namespace mmproxy::pp
