// TLV facts of spec section 2.2 beyond the types parser.h names: the SSL
// sub-types added in later revisions, the SSL client flags and the length
// rules each type imposes.
#pragma once

#include <cstddef>
#include <cstdint>

namespace mmproxy::pp::tlv {

constexpr uint8_t kSslGroup = 0x26;
constexpr uint8_t kSslSigScheme = 0x27;
constexpr uint8_t kSslClientCert = 0x28;

// Bits of the SSL TLV's <client> field.
constexpr uint8_t kClientSsl = 0x01;
constexpr uint8_t kClientCertConn = 0x02;
constexpr uint8_t kClientCertSess = 0x04;

// type (1 byte) + length (2 bytes, network order).
constexpr size_t kTlvHeaderLength = 3;
// The SSL TLV's value starts with <client> (1 byte) and <verify> (4 bytes).
constexpr size_t kSslFixedLength = 5;
constexpr size_t kCrc32cLength = 4;
// Spec 2.2.5: "up to 128 bytes".
constexpr size_t kUniqueIdMaxLength = 128;
// A host name (SNI) never exceeds 255 bytes; HAProxy's receiver enforces the
// same limit, so a longer one cannot come from a conforming sender.
constexpr size_t kAuthorityMaxLength = 255;

// "alpn", "authority", ... for the types of spec 2.2; nullptr for others.
const char* TlvName(uint8_t type);
// "ssl_version", "ssl_cn", ... for the SSL sub-types; nullptr for others.
const char* SslSubTlvName(uint8_t type);

}  // namespace mmproxy::pp::tlv
