// libFuzzer target for the PROXY header parser (run by scripts/fuzz.sh).
// Besides memory and UB errors (ASan/UBSan), it aborts when an invariant of
// the incremental contract breaks:
//   - the verdict on a prefix never changes once it is not kNeedMore;
//   - a header completes exactly when its last byte arrives, length <= input;
//   - a complete header re-parses alone to the same result;
//   - the TLV area (and each SSL TLV's sub-TLVs) walks exactly to its end, and
//     a CRC32C TLV matches the header;
//   - the v1 address validators accept exactly what inet_pton() accepts, with
//     the same bytes.
// At exit it prints how far the run reached (the largest complete v2 header,
// the longest TLV and SSL sub-TLV chains), which scripts/fuzz.sh shows: proof
// that headers up to 65551 bytes and their longest chains were exercised.
#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "proxy_header/parser.h"
#include "proxy_header/tlv_types.h"
#include "proxy_header/v1_fields.h"

namespace pp = mmproxy::pp;

namespace {

// How many prefixes past the deciding byte to re-check; each re-parse of a
// complete header with CRC32C costs its length, so not all of them.
constexpr size_t kPrefixesAfterVerdict = 8;
// Every prefix up to this length is parsed; past it, prefixes of doubling
// length, and the deciding byte is found by bisection. Parsing each of the
// 65551 prefixes of a header of 21,000 TLVs walks the chain each time: minutes
// per input; this way, about 30 walks.
constexpr size_t kExhaustivePrefixes = 1024;
// inet_pton() tokens longer than this cannot be addresses.
constexpr size_t kMaxAddressToken = 64;

// How far the run reached, printed when the process exits (libFuzzer ends with exit()).
struct Reach {
  size_t largest_v2_header = 0;
  size_t longest_tlv_chain = 0;
  size_t longest_ssl_chain = 0;
  Reach() = default;
  Reach(const Reach&) = delete;
  Reach& operator=(const Reach&) = delete;
  ~Reach() {
    std::fprintf(
        stderr,
        "reach: largest complete v2 header %zu bytes, longest TLV chain %zu, longest SSL sub-TLV chain %zu\n",
        largest_v2_header, longest_tlv_chain, longest_ssl_chain);
  }
};
Reach reach;

void Fail(const char* what, size_t at) {
  std::fprintf(stderr, "invariant broken: %s (prefix %zu)\n", what, at);
  std::abort();
}

bool SameHeader(const pp::Header& a, const pp::Header& b) {
  return a.version == b.version && a.command == b.command && a.family == b.family &&
         a.transport == b.transport && a.length == b.length && a.tlv_offset == b.tlv_offset &&
         a.tlv_length == b.tlv_length && std::memcmp(&a.source, &b.source, sizeof a.source) == 0 &&
         std::memcmp(&a.destination, &b.destination, sizeof a.destination) == 0 &&
         std::memcmp(a.source_path, b.source_path, sizeof a.source_path) == 0 &&
         std::memcmp(a.destination_path, b.destination_path, sizeof a.destination_path) == 0;
}

bool SameVerdict(const pp::ParseResult& a, const pp::ParseResult& b) {
  return a.status == b.status && a.error == b.error;
}

// Walks a TLV area; true when it ends exactly at its end. Records the chains' lengths in `reach`.
bool WalksExactly(const uint8_t* data, size_t length, int depth) {
  pp::TlvReader reader(data, length);
  pp::Tlv tlv;
  size_t consumed = 0;
  size_t walked = 0;
  while (reader.Next(&tlv)) {
    consumed += pp::tlv::kTlvHeaderLength + tlv.length;
    ++walked;
    if (depth == 0 && tlv.type == pp::tlv::kSsl) {
      if (tlv.length < pp::tlv::kSslFixedLength) return false;
      if (!WalksExactly(tlv.value + pp::tlv::kSslFixedLength, tlv.length - pp::tlv::kSslFixedLength, 1)) {
        return false;
      }
    }
  }
  size_t& longest = depth == 0 ? reach.longest_tlv_chain : reach.longest_ssl_chain;
  if (walked > longest) longest = walked;
  return consumed == length;
}

void CheckCrc32c(const uint8_t* data, const pp::Header& header) {
  pp::TlvReader reader(data + header.tlv_offset, header.tlv_length);
  pp::Tlv tlv;
  while (reader.Next(&tlv)) {
    if (tlv.type != pp::tlv::kCrc32c) continue;
    static uint8_t copy[pp::kV2MaxLength];  // too big for the stack; the fuzzer is single-threaded
    std::memcpy(copy, data, header.length);
    const size_t field = static_cast<size_t>(tlv.value - data);
    std::memset(copy + field, 0, pp::tlv::kCrc32cLength);
    uint32_t expected = 0;
    for (size_t i = 0; i < pp::tlv::kCrc32cLength; ++i) expected = expected << 8 | tlv.value[i];
    if (pp::Crc32c(copy, header.length) != expected) Fail("accepted a wrong CRC32C", header.length);
  }
}

void CheckComplete(const uint8_t* data, size_t decided_at, const pp::Header& header) {
  if (header.length != decided_at) Fail("complete before or after the header's last byte", decided_at);
  if (header.version == 1 && header.length > pp::kV1MaxLength) Fail("v1 header over 107 bytes", decided_at);
  if (header.version == 2) {
    const size_t announced = static_cast<size_t>(data[14]) << 8 | data[15];
    if (header.length != pp::kV2FixedLength + announced) Fail("v2 length is not 16 + len", decided_at);
    if (header.tlv_offset + header.tlv_length != header.length)
      Fail("TLV area does not end the header", decided_at);
  }
  pp::Header again;
  const pp::ParseResult alone = pp::Parse(data, header.length, &again);
  if (alone.status != pp::Status::kComplete || !SameHeader(header, again)) {
    Fail("header does not re-parse alone to itself", header.length);
  }
  if (!WalksExactly(data + header.tlv_offset, header.tlv_length, 0)) Fail("TLV walk overruns", header.length);
  CheckCrc32c(data, header);
  if (header.version == 2 && header.length > reach.largest_v2_header) reach.largest_v2_header = header.length;
}

size_t NextPrefix(size_t k, size_t size) { return std::min(size, k < kExhaustivePrefixes ? k + 1 : 2 * k); }

// The verdict at the prefix `k` is the decided one, and so is the header when complete.
void CheckSame(const uint8_t* data, size_t k, const pp::ParseResult& decided,
               const pp::Header& decided_header) {
  pp::Header header;
  const pp::ParseResult result = pp::Parse(data, k, &header);
  if (!SameVerdict(result, decided)) Fail("verdict changed with more bytes", k);
  if (result.status == pp::Status::kComplete && !SameHeader(header, decided_header)) {
    Fail("header changed with more bytes", k);
  }
}

void CheckPrefixes(const uint8_t* data, size_t size) {
  // The first prefix that is not kNeedMore: every prefix up to kExhaustivePrefixes, then doubling ones.
  size_t undecided = 0;  // the longest prefix seen needing more (the empty one always does)
  size_t k = 0;
  pp::Header header;
  pp::ParseResult decided = pp::Parse(data, k, &header);
  while (decided.status == pp::Status::kNeedMore) {
    if (k == size) return;
    undecided = k;
    k = NextPrefix(k, size);
    decided = pp::Parse(data, k, &header);
  }
  // Sampled past the deciding byte: bisect for it. Each decided prefix on the way must agree already.
  while (k - undecided > 1) {
    const size_t middle = undecided + (k - undecided) / 2;
    pp::Header middle_header;
    const pp::ParseResult at_middle = pp::Parse(data, middle, &middle_header);
    if (at_middle.status == pp::Status::kNeedMore) {
      undecided = middle;
      continue;
    }
    CheckSame(data, k, at_middle, middle_header);
    k = middle;
    decided = at_middle;
    header = middle_header;
  }
  if (decided.status == pp::Status::kComplete) CheckComplete(data, k, header);
  // A few prefixes past the deciding byte, then the whole input.
  for (size_t more = k + 1; more <= size && more <= k + kPrefixesAfterVerdict; ++more) {
    CheckSame(data, more, decided, header);
  }
  if (size > k + kPrefixesAfterVerdict) CheckSame(data, size, decided, header);
}

template <typename Field>
bool FeedAll(Field* field, const char* text, size_t length) {
  for (size_t i = 0; i < length; ++i) {
    if (!field->Feed(text[i])) return false;
  }
  return field->Complete();
}

void CheckAddressOracle(const uint8_t* data, size_t size) {
  if (size > kMaxAddressToken || std::memchr(data, '\0', size) != nullptr) return;
  char token[kMaxAddressToken + 1] = {};
  std::memcpy(token, data, size);

  pp::Ipv4Field v4;
  in_addr expected4{};
  const bool mine4 = FeedAll(&v4, token, size);
  if (mine4 != (inet_pton(AF_INET, token, &expected4) == 1))
    Fail("IPv4 validator disagrees with inet_pton", size);
  if (mine4) {
    const in_addr got = v4.Value();
    if (std::memcmp(&got, &expected4, sizeof got) != 0) Fail("IPv4 bytes differ from inet_pton", size);
  }

  pp::Ipv6Field v6;
  in6_addr expected6{};
  const bool mine6 = FeedAll(&v6, token, size);
  if (mine6 != (inet_pton(AF_INET6, token, &expected6) == 1))
    Fail("IPv6 validator disagrees with inet_pton", size);
  if (mine6) {
    const in6_addr got = v6.Value();
    if (std::memcmp(&got, &expected6, sizeof got) != 0) Fail("IPv6 bytes differ from inet_pton", size);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  CheckPrefixes(data, size);
  CheckAddressOracle(data, size);
  return 0;
}
