// The header in front of one datagram, read as the listener's --udp-header
// mode asks (Config::udp_header):
//   every  a PROXY v2 header on every datagram (the parser's verdict on the
//          whole datagram, as go-mmproxy);
//   first  a PROXY v2 header when the datagram starts with the v2 signature,
//          else a bare datagram, whose client is its flow's (the worker
//          knows the flows: udp_worker_first.cc);
//   spp    an SPP header on every datagram (proxy_header/spp.h);
//   auto   SPP when the datagram starts with its magic, else as `every`.
// An SPP header is handed on as the PROXY v2 DGRAM header that names the same
// client and destination, so that everything after this (the client checks,
// the target, the session) treats both alike.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "dataplane/shared/config.h"
#include "proxy_header/parser.h"

namespace mmproxy::dataplane {

enum class HeaderKind : uint8_t { kNone, kProxyV2, kSpp };

struct DatagramHeader {
  HeaderKind kind = HeaderKind::kNone;  // kNone: a bare datagram (first only)
  pp::Header header;                    // for kProxyV2 and kSpp
  size_t length = 0;                    // bytes in front of the payload
};

// Why a datagram is dropped: its counter slot (counters.h) and code, and a
// sentence for the event.
struct HeaderRejection {
  size_t slot;
  const char* code;
  std::string why;
};

// Reads the header at the start of data[0, length) into *out; a rejection
// when the datagram cannot be relayed under `mode`.
std::optional<HeaderRejection> ReadDatagramHeader(UdpHeaderMode mode, const uint8_t* data, size_t length,
                                                  DatagramHeader* out);

// True when data starts with the whole 12-byte PROXY v2 signature.
bool StartsWithV2Signature(const uint8_t* data, size_t length);

}  // namespace mmproxy::dataplane
