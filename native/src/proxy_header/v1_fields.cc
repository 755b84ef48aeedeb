#include "proxy_header/v1_fields.h"

#include <cstring>

namespace mmproxy::pp {
namespace {

constexpr unsigned kMaxOctet = 255;
constexpr unsigned kMaxPort = 65535;
constexpr int kMaxOctetDigits = 3;
constexpr int kMaxGroupDigits = 4;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

int HexValue(char c) {
  if (IsDigit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool Ipv4Field::Feed(char c) {
  if (IsDigit(c)) {
    // "0" is a number, "01" would read as octal to some parsers: spec 2.1
    // forbids heading zeroes.
    if (digits_ > 0 && value_ == 0) return false;
    value_ = value_ * 10 + static_cast<unsigned>(c - '0');
    if (value_ > kMaxOctet || ++digits_ > kMaxOctetDigits) return false;
    bytes_[octet_] = static_cast<uint8_t>(value_);
    return true;
  }
  if (c == '.' && digits_ > 0 && octet_ < 3) {
    ++octet_;
    digits_ = 0;
    value_ = 0;
    return true;
  }
  return false;
}

in_addr Ipv4Field::Value() const {
  in_addr address{};
  std::memcpy(&address, bytes_, sizeof bytes_);
  return address;
}

bool PortField::Feed(char c) {
  if (!IsDigit(c)) return false;
  if (digits_ > 0 && value_ == 0) return false;  // no heading zeroes (spec 2.1)
  value_ = value_ * 10 + static_cast<unsigned>(c - '0');
  ++digits_;
  return value_ <= kMaxPort;
}

// Room rules: an address has 8 groups; "::" stands for at least one of them
// and a dotted-quad tail for two. Each check fails at the first character
// that makes 8 unreachable or exceeded.
bool Ipv6Field::StartGroup() {
  const int limit = compressed_at_ >= 0 ? kGroups - 1 : kGroups;
  if (used_ + 1 > limit) return false;
  ++used_;
  digits_ = 0;
  state_ = State::kInGroup;
  return true;
}

bool Ipv6Field::OnColon() {
  switch (state_) {
    case State::kStart:
      state_ = State::kLeadingColon;
      return true;
    case State::kInGroup: {
      // After this colon comes another group or "::"; either needs a free group.
      const int limit = compressed_at_ >= 0 ? kGroups - 1 : kGroups;
      if (used_ + 1 > limit) return false;
      state_ = State::kAfterColon;
      return true;
    }
    case State::kLeadingColon:
    case State::kAfterColon:
      if (compressed_at_ >= 0 || used_ + 1 > kGroups) return false;
      compressed_at_ = used_;
      state_ = State::kAfterDoubleColon;
      return true;
    default:
      return false;
  }
}

// The current group turns out to be the first number of a dotted quad.
bool Ipv6Field::StartIpv4() {
  const int before = used_ - 1;
  const int total = before + 2;
  if (compressed_at_ >= 0 ? total > kGroups - 1 : total != kGroups) return false;
  for (int i = 0; i < digits_; ++i) {
    if (!ipv4_.Feed(group_text_[i])) return false;
  }
  if (!ipv4_.Feed('.')) return false;
  used_ = total;
  state_ = State::kInIpv4;
  return true;
}

bool Ipv6Field::Feed(char c) {
  if (state_ == State::kInIpv4) return ipv4_.Feed(c);
  if (c == ':') return OnColon();
  if (c == '.') return state_ == State::kInGroup && StartIpv4();
  const int hex = HexValue(c);
  if (hex < 0 || state_ == State::kLeadingColon) return false;
  if (state_ != State::kInGroup && !StartGroup()) return false;
  if (digits_ == kMaxGroupDigits) return false;
  group_text_[digits_++] = c;
  uint16_t& group = groups_[used_ - 1];
  group = static_cast<uint16_t>(group << 4 | hex);
  return true;
}

bool Ipv6Field::Complete() const {
  const bool all_groups = compressed_at_ >= 0 || used_ == kGroups;
  switch (state_) {
    case State::kInGroup:
      return all_groups;
    case State::kAfterDoubleColon:
      return true;
    case State::kInIpv4:
      return ipv4_.Complete();  // StartIpv4() already checked the room
    default:
      return false;
  }
}

in6_addr Ipv6Field::Value() const {
  uint16_t expanded[kGroups] = {};
  const int written = state_ == State::kInIpv4 ? used_ - 2 : used_;
  const int head = compressed_at_ >= 0 ? compressed_at_ : written;
  const int tail = written - head;
  const int tail_start = (state_ == State::kInIpv4 ? kGroups - 2 : kGroups) - tail;
  for (int i = 0; i < head; ++i) expanded[i] = groups_[i];
  for (int i = 0; i < tail; ++i) expanded[tail_start + i] = groups_[head + i];
  in6_addr address{};
  for (int i = 0; i < kGroups; ++i) {
    address.s6_addr[2 * i] = static_cast<uint8_t>(expanded[i] >> 8);
    address.s6_addr[2 * i + 1] = static_cast<uint8_t>(expanded[i] & 0xFF);
  }
  if (state_ == State::kInIpv4) {
    const in_addr tail4 = ipv4_.Value();
    std::memcpy(&address.s6_addr[12], &tail4, sizeof tail4);
  }
  return address;
}

}  // namespace mmproxy::pp
