// TLVs of spec 2.2: framing (type, 16-bit length, value) and the length each
// known type allows. Unknown types are only checked for framing and kept.
//
// Errors are reported in the order of the byte that proves them, so a header
// split anywhere gets the same verdict: each TLV's own rules and the framing
// of what follows it are checked as soon as its 3-byte header arrives, and
// the SSL sub-TLVs (which sit inside its value) only after that.
#include <algorithm>

#include "proxy_header/internal.h"
#include "proxy_header/tlv_types.h"

namespace mmproxy::pp {
namespace {

using tlv::kTlvHeaderLength;

constexpr ParseResult kOk{Status::kComplete, ErrorCode::kNone};
constexpr ParseResult kNeedMore{Status::kNeedMore, ErrorCode::kNone};

ParseResult Error(ErrorCode code) { return {Status::kError, code}; }

size_t ReadLength(const uint8_t* p) { return static_cast<size_t>(p[0]) << 8 | p[1]; }

// What a TLV of `type` may be `length` bytes long; kNone when allowed.
ErrorCode LengthRule(uint8_t type, size_t length) {
  switch (type) {
    case tlv::kAlpn:
    case tlv::kNetns:
      // A protocol name or a namespace name: empty carries nothing.
      return length == 0 ? ErrorCode::kV2BadTlvLength : ErrorCode::kNone;
    case tlv::kAuthority:
      return length == 0 || length > tlv::kAuthorityMaxLength ? ErrorCode::kV2BadTlvLength : ErrorCode::kNone;
    case tlv::kCrc32c:
      return length != tlv::kCrc32cLength ? ErrorCode::kV2BadTlvLength : ErrorCode::kNone;
    case tlv::kUniqueId:
      return length > tlv::kUniqueIdMaxLength ? ErrorCode::kV2BadTlvLength : ErrorCode::kNone;
    case tlv::kSsl:
      return length < tlv::kSslFixedLength ? ErrorCode::kV2SslTlvMalformed : ErrorCode::kNone;
    default:
      return ErrorCode::kNone;  // NOOP pads with any length; unknown types are kept as they are
  }
}

// Walks the TLVs framed in data[begin, end), of which data[begin, available)
// has arrived, calling visit(type, value_offset, value_length) for each one
// whose header arrived. Framing errors are reported as `truncated`.
template <typename Visit>
ParseResult Walk(const uint8_t* data, size_t begin, size_t end, size_t available, ErrorCode truncated,
                 Visit visit) {
  // Room left for another TLV must be 0 or at least a TLV header.
  auto leftover_ok = [end](size_t pos) { return end - pos == 0 || end - pos >= kTlvHeaderLength; };
  if (!leftover_ok(begin)) return Error(truncated);
  for (size_t pos = begin; pos < end;) {
    if (available < pos + kTlvHeaderLength) return kNeedMore;
    const size_t value = pos + kTlvHeaderLength;
    const size_t length = ReadLength(data + pos + 1);
    if (length > end - value) return Error(truncated);
    const size_t next = value + length;
    const ParseResult rules =
        visit(data[pos], value, length, [&] { return leftover_ok(next) ? kOk : Error(truncated); });
    if (rules.status != Status::kComplete) return rules;
    pos = next;
  }
  return available >= end ? kOk : kNeedMore;
}

}  // namespace

TlvAreaCheck CheckTlvArea(const uint8_t* data, size_t begin, size_t end, size_t available) {
  TlvAreaCheck check;
  check.result =
      Walk(data, begin, end, available, ErrorCode::kV2TlvTruncated,
           [&](uint8_t type, size_t value, size_t length, auto framing_after) {
             const ErrorCode rule = LengthRule(type, length);
             if (rule != ErrorCode::kNone) return Error(rule);
             if (type == tlv::kCrc32c) {
               if (check.has_crc32c) return Error(ErrorCode::kV2DuplicateCrc32c);
               check.has_crc32c = true;
               check.crc32c_value_offset = value;
             }
             const ParseResult after = framing_after();
             if (after.status != Status::kComplete || type != tlv::kSsl) return after;
             const size_t ssl_end = value + length;
             return Walk(data, value + tlv::kSslFixedLength, ssl_end, std::min(available, ssl_end),
                         ErrorCode::kV2SslTlvMalformed,
                         [](uint8_t, size_t, size_t, auto sub_framing_after) { return sub_framing_after(); });
           });
  return check;
}

bool TlvReader::Next(Tlv* out) {
  // Parse() validated the area; the checks only keep a misuse from reading
  // out of bounds.
  if (length_ - offset_ < kTlvHeaderLength) return false;
  const uint8_t* header = data_ + offset_;
  const size_t length = ReadLength(header + 1);
  if (length > length_ - offset_ - kTlvHeaderLength) return false;
  out->type = header[0];
  out->value = header + kTlvHeaderLength;
  out->length = static_cast<uint16_t>(length);
  offset_ += kTlvHeaderLength + length;
  return true;
}

namespace tlv {

const char* TlvName(uint8_t type) {
  switch (type) {
    case kAlpn:
      return "alpn";
    case kAuthority:
      return "authority";
    case kCrc32c:
      return "crc32c";
    case kNoop:
      return "noop";
    case kUniqueId:
      return "unique_id";
    case kSsl:
      return "ssl";
    case kNetns:
      return "netns";
    default:
      return nullptr;
  }
}

const char* SslSubTlvName(uint8_t type) {
  switch (type) {
    case kSslVersion:
      return "ssl_version";
    case kSslCn:
      return "ssl_cn";
    case kSslCipher:
      return "ssl_cipher";
    case kSslSigAlg:
      return "ssl_sig_alg";
    case kSslKeyAlg:
      return "ssl_key_alg";
    case kSslGroup:
      return "ssl_group";
    case kSslSigScheme:
      return "ssl_sig_scheme";
    case kSslClientCert:
      return "ssl_client_cert";
    default:
      return nullptr;
  }
}

}  // namespace tlv
}  // namespace mmproxy::pp
