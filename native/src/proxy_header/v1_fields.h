// Validators for the fields of a v1 line, fed one character at a time so the
// parser can reject a field at the first character that spoils it. The
// caller stops feeding at the field's terminator (SP, CR or LF) and then asks
// Complete().
//
// Addresses accept exactly what glibc's inet_pton() accepts, and nothing it
// would take loosely elsewhere: IPv4 is a dotted quad of decimal numbers
// without leading zeros (spec 2.1); IPv6 is 1-4 hex digits per group, at most
// one "::", and optionally a dotted-quad tail, which HAProxy emits for mapped
// addresses (it formats them with inet_ntop()). The fuzzer checks the
// equivalence with inet_pton().
#pragma once

#include <netinet/in.h>

#include <cstdint>

namespace mmproxy::pp {

class Ipv4Field {
 public:
  // False when `c` cannot continue a valid address.
  bool Feed(char c);
  bool Complete() const { return octet_ == 3 && digits_ > 0; }
  in_addr Value() const;  // network order; only when Complete()

 private:
  uint8_t bytes_[4] = {};
  int octet_ = 0;
  int digits_ = 0;
  unsigned value_ = 0;
};

class Ipv6Field {
 public:
  bool Feed(char c);
  bool Complete() const;
  in6_addr Value() const;  // only when Complete()

 private:
  enum class State : uint8_t { kStart, kLeadingColon, kInGroup, kAfterColon, kAfterDoubleColon, kInIpv4 };
  static constexpr int kGroups = 8;

  bool StartGroup();
  bool OnColon();
  bool StartIpv4();

  State state_ = State::kStart;
  uint16_t groups_[kGroups] = {};
  int used_ = 0;            // 16-bit groups written explicitly so far
  int compressed_at_ = -1;  // group index where "::" sits; -1 when none
  int digits_ = 0;          // hex digits in the current group
  char group_text_[4] = {};
  Ipv4Field ipv4_;  // the dotted-quad tail, when there is one
};

class PortField {
 public:
  bool Feed(char c);
  bool Complete() const { return digits_ > 0; }
  uint16_t Value() const { return static_cast<uint16_t>(value_); }  // host order

 private:
  int digits_ = 0;
  unsigned value_ = 0;
};

}  // namespace mmproxy::pp
