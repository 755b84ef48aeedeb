// Version 2: a 16-byte binary prefix, an address block sized by the family,
// then TLVs up to the announced length (spec 2.2).
#include <algorithm>
#include <cstring>

#include "proxy_header/internal.h"
#include "proxy_header/tlv_types.h"

namespace mmproxy::pp {
namespace {

constexpr uint8_t kSignature[] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
constexpr size_t kSignatureLength = sizeof kSignature;
constexpr size_t kVersionCommandIndex = 12;
constexpr size_t kFamilyTransportIndex = 13;
constexpr size_t kLengthIndex = 14;
constexpr uint8_t kVersion2 = 0x2;
constexpr uint8_t kCommandLocal = 0x0;
constexpr uint8_t kCommandProxy = 0x1;
constexpr uint8_t kMaxFamily = 0x3;
constexpr uint8_t kMaxTransport = 0x2;
constexpr size_t kInetAddressLength = 2 * 4 + 2 * 2;
constexpr size_t kInet6AddressLength = 2 * 16 + 2 * 2;
constexpr size_t kUnixPathLength = 108;
constexpr size_t kUnixAddressLength = 2 * kUnixPathLength;

static_assert(sizeof Header::source_path == kUnixPathLength, "v2 UNIX paths are 108 bytes");

ParseResult Error(ErrorCode code) { return {Status::kError, code}; }
constexpr ParseResult kNeedMore{Status::kNeedMore, ErrorCode::kNone};

struct Layout {
  Family family;
  Transport transport;
  size_t address_length;
};

// The family/transport bytes spec 2.2 lists ("in practice, the following
// protocol bytes are expected"). A mix such as INET over UNSPEC transport has
// no defined address block, so it is refused rather than guessed at.
bool LayoutOf(uint8_t family_transport, Layout* layout) {
  switch (family_transport) {
    case 0x00:
      *layout = {Family::kUnspec, Transport::kUnspec, 0};
      return true;
    case 0x11:
      *layout = {Family::kInet, Transport::kStream, kInetAddressLength};
      return true;
    case 0x12:
      *layout = {Family::kInet, Transport::kDgram, kInetAddressLength};
      return true;
    case 0x21:
      *layout = {Family::kInet6, Transport::kStream, kInet6AddressLength};
      return true;
    case 0x22:
      *layout = {Family::kInet6, Transport::kDgram, kInet6AddressLength};
      return true;
    case 0x31:
      *layout = {Family::kUnix, Transport::kStream, kUnixAddressLength};
      return true;
    case 0x32:
      *layout = {Family::kUnix, Transport::kDgram, kUnixAddressLength};
      return true;
    default:
      return false;
  }
}

uint32_t ReadBigEndian32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 |
         static_cast<uint32_t>(p[2]) << 8 | p[3];
}

// Spec 2.2.3: the checksum of the whole header with its own field zeroed.
bool ChecksumMatches(const uint8_t* data, size_t total, size_t field) {
  constexpr uint8_t kZeroes[tlv::kCrc32cLength] = {};
  uint32_t crc = Crc32c(data, field);
  crc = Crc32c(kZeroes, sizeof kZeroes, crc);
  const size_t after = field + tlv::kCrc32cLength;
  crc = Crc32c(data + after, total - after, crc);
  return crc == ReadBigEndian32(data + field);
}

// Addresses and ports are already in network order, as sockaddrs want them.
void FillAddresses(const uint8_t* block, Family family, Header* header) {
  switch (family) {
    case Family::kInet: {
      auto* source = reinterpret_cast<sockaddr_in*>(&header->source);
      auto* destination = reinterpret_cast<sockaddr_in*>(&header->destination);
      source->sin_family = destination->sin_family = AF_INET;
      std::memcpy(&source->sin_addr, block, 4);
      std::memcpy(&destination->sin_addr, block + 4, 4);
      std::memcpy(&source->sin_port, block + 8, 2);
      std::memcpy(&destination->sin_port, block + 10, 2);
      break;
    }
    case Family::kInet6: {
      auto* source = reinterpret_cast<sockaddr_in6*>(&header->source);
      auto* destination = reinterpret_cast<sockaddr_in6*>(&header->destination);
      source->sin6_family = destination->sin6_family = AF_INET6;
      std::memcpy(&source->sin6_addr, block, 16);
      std::memcpy(&destination->sin6_addr, block + 16, 16);
      std::memcpy(&source->sin6_port, block + 32, 2);
      std::memcpy(&destination->sin6_port, block + 34, 2);
      break;
    }
    case Family::kUnix:
      std::memcpy(header->source_path, block, kUnixPathLength);
      std::memcpy(header->destination_path, block + kUnixPathLength, kUnixPathLength);
      break;
    case Family::kUnspec:
      break;
  }
}

}  // namespace

ParseResult ParseV2(const uint8_t* data, size_t length, Header* header) {
  if (std::memcmp(data, kSignature, std::min(length, kSignatureLength)) != 0) {
    return Error(ErrorCode::kNotProxyProtocol);
  }
  if (length <= kVersionCommandIndex) return kNeedMore;
  const uint8_t version_command = data[kVersionCommandIndex];
  if (version_command >> 4 != kVersion2) return Error(ErrorCode::kV2BadVersion);
  const uint8_t command = version_command & 0x0F;
  if (command != kCommandLocal && command != kCommandProxy) return Error(ErrorCode::kV2BadCommand);

  if (length <= kFamilyTransportIndex) return kNeedMore;
  const uint8_t family_transport = data[kFamilyTransportIndex];
  if (family_transport >> 4 > kMaxFamily) return Error(ErrorCode::kV2BadFamily);
  if ((family_transport & 0x0F) > kMaxTransport) return Error(ErrorCode::kV2BadTransport);
  Layout layout{};
  if (!LayoutOf(family_transport, &layout)) return Error(ErrorCode::kV2BadFamilyTransport);

  if (length < kV2FixedLength) return kNeedMore;
  const size_t announced = static_cast<size_t>(data[kLengthIndex]) << 8 | data[kLengthIndex + 1];
  // Also for LOCAL: the length says how much to skip, the family what it holds.
  if (announced < layout.address_length) return Error(ErrorCode::kV2AddressTooShort);
  const size_t total = kV2FixedLength + announced;
  const size_t tlv_begin = kV2FixedLength + layout.address_length;

  const TlvAreaCheck tlvs = CheckTlvArea(data, tlv_begin, total, std::min(length, total));
  if (tlvs.result.status != Status::kComplete) return tlvs.result;
  if (tlvs.has_crc32c && !ChecksumMatches(data, total, tlvs.crc32c_value_offset)) {
    return Error(ErrorCode::kV2Crc32cMismatch);
  }

  *header = Header{};
  header->version = 2;
  header->command = command == kCommandLocal ? Command::kLocal : Command::kProxy;
  header->family = layout.family;
  header->transport = layout.transport;
  FillAddresses(data + kV2FixedLength, layout.family, header);
  header->length = total;
  header->tlv_offset = tlv_begin;
  header->tlv_length = total - tlv_begin;
  return {Status::kComplete, ErrorCode::kNone};
}

size_t AnnouncedV2Length(const uint8_t* data, size_t length) {
  if (length < kV2FixedLength || std::memcmp(data, kSignature, kSignatureLength) != 0) return 0;
  return kV2FixedLength + (static_cast<size_t>(data[kLengthIndex]) << 8 | data[kLengthIndex + 1]);
}

}  // namespace mmproxy::pp
