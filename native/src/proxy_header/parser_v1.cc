// Version 1: one line of US-ASCII text (spec 2.1).
//
//   "PROXY" SP ( "TCP4" | "TCP6" ) SP src SP dst SP sport SP dport CRLF
//   "PROXY" SP "UNKNOWN" [ SP <anything but LF> ] CRLF
//
// Strict: single spaces, CRLF right after the destination port, addresses
// valid for the family (see v1_fields.h), ports 0-65535 in decimal without
// heading zeroes, sign or junk (spec: "Heading zeroes are not permitted"; we
// read that literally, so "0" is valid and "080" is not). Each check fails at
// the first byte that breaks it; only the 107-byte limit waits for byte 107.
#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

#include "proxy_header/internal.h"
#include "proxy_header/v1_fields.h"

namespace mmproxy::pp {
namespace {

constexpr char kPrefix[] = "PROXY";
constexpr size_t kPrefixLength = sizeof kPrefix - 1;

enum class Protocol : uint8_t { kTcp4, kTcp6, kUnknown };

struct Keyword {
  const char* text;
  Protocol protocol;
};
constexpr Keyword kKeywords[] = {
    {"TCP4", Protocol::kTcp4}, {"TCP6", Protocol::kTcp6}, {"UNKNOWN", Protocol::kUnknown}};

bool IsTerminator(uint8_t c) { return c == ' ' || c == '\r' || c == '\n'; }

ParseResult Error(ErrorCode code) { return {Status::kError, code}; }
ParseResult NeedMore() { return {Status::kNeedMore, ErrorCode::kNone}; }

// A walk over the bytes of the line that have arrived (never past byte 107).
class Line {
 public:
  Line(const uint8_t* data, size_t length) : data_(data), length_(std::min(length, kV1MaxLength)) {}

  bool AtEnd() const { return pos_ >= length_; }
  uint8_t Peek() const { return data_[pos_]; }
  void Advance() { ++pos_; }
  size_t Position() const { return pos_; }

  // Feeds `field` up to its terminator. Returns kNeedMore if the line ends
  // first, kError(bad) if a byte spoils the field or the terminator comes
  // while the field is incomplete; else kComplete with the cursor on the
  // terminator (an empty field is "complete" here: callers tell it apart).
  template <typename Field>
  ParseResult ScanField(Field* field, ErrorCode bad, bool* empty) {
    const size_t start = pos_;
    for (; !AtEnd(); ++pos_) {
      const uint8_t c = data_[pos_];
      if (IsTerminator(c)) {
        *empty = pos_ == start;
        if (!*empty && !field->Complete()) return Error(bad);
        return {Status::kComplete, ErrorCode::kNone};
      }
      if (!field->Feed(static_cast<char>(c))) return Error(bad);
    }
    return NeedMore();
  }

 private:
  const uint8_t* data_;
  size_t length_;
  size_t pos_ = 0;
};

// A field followed by exactly one space.
template <typename Field>
ParseResult SpacedField(Line* line, Field* field, ErrorCode bad) {
  bool empty = false;
  const ParseResult scan = line->ScanField(field, bad, &empty);
  if (scan.status != Status::kComplete) return scan;
  // An empty field means two spaces in a row, or a line that stops early.
  if (empty || line->Peek() != ' ') return Error(ErrorCode::kV1BadSeparator);
  line->Advance();
  return scan;
}

ParseResult ExpectSpace(Line* line) {
  if (line->AtEnd()) return NeedMore();
  if (line->Peek() != ' ') return Error(ErrorCode::kV1BadSeparator);
  line->Advance();
  return {Status::kComplete, ErrorCode::kNone};
}

// The keyword that `word` spells in full (whole) or begins (!whole).
const Keyword* FindKeyword(const char* word, size_t n, bool whole) {
  for (const Keyword& keyword : kKeywords) {
    const size_t size = std::strlen(keyword.text);
    if ((whole ? size == n : size >= n) && std::memcmp(keyword.text, word, n) == 0) return &keyword;
  }
  return nullptr;
}

// Matches the protocol keyword byte by byte against the three candidates.
ParseResult ScanProtocol(Line* line, Protocol* protocol) {
  char word[sizeof "UNKNOWN"] = {};
  size_t n = 0;
  for (; !line->AtEnd(); line->Advance()) {
    const uint8_t c = line->Peek();
    if (IsTerminator(c)) {
      if (n == 0) return Error(ErrorCode::kV1BadSeparator);
      const Keyword* keyword = FindKeyword(word, n, true);
      if (keyword == nullptr) return Error(ErrorCode::kV1BadProtocol);
      *protocol = keyword->protocol;
      return {Status::kComplete, ErrorCode::kNone};
    }
    if (n == sizeof word - 1) return Error(ErrorCode::kV1BadProtocol);
    word[n++] = static_cast<char>(c);
    if (FindKeyword(word, n, false) == nullptr) return Error(ErrorCode::kV1BadProtocol);
  }
  return NeedMore();
}

// "UNKNOWN": the receiver ignores everything up to the first LF, which must
// close a CRLF (spec 2.1: a lone LF never ends the line).
ParseResult ScanUnknownTail(Line* line, Header* header) {
  uint8_t previous = 0;  // the keyword's last letter is no CR
  for (; !line->AtEnd(); line->Advance()) {
    const uint8_t c = line->Peek();
    if (c == '\n') {
      if (previous != '\r') return Error(ErrorCode::kV1BadTerminator);
      header->length = line->Position() + 1;
      return {Status::kComplete, ErrorCode::kNone};
    }
    previous = c;
  }
  return NeedMore();
}

// The destination port, then CRLF and nothing in between.
ParseResult ScanLastPort(Line* line, PortField* port) {
  bool empty = false;
  const ParseResult scan = line->ScanField(port, ErrorCode::kV1BadDestinationPort, &empty);
  if (scan.status != Status::kComplete) return scan;
  const uint8_t c = line->Peek();
  if (empty) return Error(c == ' ' ? ErrorCode::kV1BadSeparator : ErrorCode::kV1BadDestinationPort);
  if (c != '\r') return Error(ErrorCode::kV1BadTerminator);
  line->Advance();
  if (line->AtEnd()) return NeedMore();
  if (line->Peek() != '\n') return Error(ErrorCode::kV1BadTerminator);
  line->Advance();
  return scan;
}

template <typename Field>
struct Addresses {
  Field source;
  Field destination;
  PortField source_port;
  PortField destination_port;
};

template <typename Field>
ParseResult ScanAddresses(Line* line, Addresses<Field>* fields) {
  ParseResult step = SpacedField(line, &fields->source, ErrorCode::kV1BadSourceAddress);
  if (step.status != Status::kComplete) return step;
  step = SpacedField(line, &fields->destination, ErrorCode::kV1BadDestinationAddress);
  if (step.status != Status::kComplete) return step;
  step = SpacedField(line, &fields->source_port, ErrorCode::kV1BadSourcePort);
  if (step.status != Status::kComplete) return step;
  return ScanLastPort(line, &fields->destination_port);
}

void Fill(const Addresses<Ipv4Field>& fields, Header* header) {
  auto* source = reinterpret_cast<sockaddr_in*>(&header->source);
  auto* destination = reinterpret_cast<sockaddr_in*>(&header->destination);
  source->sin_family = destination->sin_family = AF_INET;
  source->sin_addr = fields.source.Value();
  destination->sin_addr = fields.destination.Value();
  source->sin_port = htons(fields.source_port.Value());
  destination->sin_port = htons(fields.destination_port.Value());
  header->family = Family::kInet;
}

void Fill(const Addresses<Ipv6Field>& fields, Header* header) {
  auto* source = reinterpret_cast<sockaddr_in6*>(&header->source);
  auto* destination = reinterpret_cast<sockaddr_in6*>(&header->destination);
  source->sin6_family = destination->sin6_family = AF_INET6;
  source->sin6_addr = fields.source.Value();
  destination->sin6_addr = fields.destination.Value();
  source->sin6_port = htons(fields.source_port.Value());
  destination->sin6_port = htons(fields.destination_port.Value());
  header->family = Family::kInet6;
}

template <typename Field>
ParseResult ParseTcp(Line* line, Header* header) {
  Addresses<Field> fields;
  const ParseResult result = ScanAddresses(line, &fields);
  if (result.status != Status::kComplete) return result;
  *header = Header{};
  header->version = 1;
  header->command = Command::kProxy;
  header->transport = Transport::kStream;
  Fill(fields, header);
  header->length = line->Position();
  return result;
}

ParseResult ParseLine(Line* line, Header* header) {
  for (size_t i = 0; i < kPrefixLength; ++i, line->Advance()) {
    if (line->AtEnd()) return NeedMore();
    if (line->Peek() != static_cast<uint8_t>(kPrefix[i])) return Error(ErrorCode::kNotProxyProtocol);
  }
  ParseResult step = ExpectSpace(line);
  if (step.status != Status::kComplete) return step;
  Protocol protocol = Protocol::kUnknown;
  step = ScanProtocol(line, &protocol);
  if (step.status != Status::kComplete) return step;
  switch (protocol) {
    case Protocol::kTcp4:
      step = ExpectSpace(line);
      return step.status == Status::kComplete ? ParseTcp<Ipv4Field>(line, header) : step;
    case Protocol::kTcp6:
      step = ExpectSpace(line);
      return step.status == Status::kComplete ? ParseTcp<Ipv6Field>(line, header) : step;
    case Protocol::kUnknown: {
      Header unknown;
      step = ScanUnknownTail(line, &unknown);
      if (step.status != Status::kComplete) return step;
      unknown.version = 1;
      unknown.command = Command::kProxy;
      unknown.family = Family::kUnspec;
      unknown.transport = Transport::kUnspec;
      *header = unknown;
      return step;
    }
  }
  return Error(ErrorCode::kV1BadProtocol);
}

}  // namespace

ParseResult ParseV1(const uint8_t* data, size_t length, Header* header) {
  Line line(data, length);
  const ParseResult result = ParseLine(&line, header);
  // The grammar wants more, but the spec's longest line (107 bytes with its
  // CRLF) has already arrived.
  if (result.status == Status::kNeedMore && length >= kV1MaxLength) {
    return Error(ErrorCode::kV1TooLong);
  }
  return result;
}

}  // namespace mmproxy::pp
