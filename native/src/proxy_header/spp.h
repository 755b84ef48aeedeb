// Cloudflare's Simple Proxy Protocol (SPP): a fixed 38-byte header that a
// load balancer (Cloudflare Spectrum, Tencent EdgeOne) puts in front of every
// UDP datagram it relays, naming the client it came from and the address it
// was sent to. Layout, all in network byte order:
//   magic 0x56EC (2) | client address (16) | proxy address (16) |
//   client port (2) | proxy port (2) | payload...
// Addresses are IPv6, or IPv4-mapped IPv6 (::ffff:a.b.c.d) for IPv4.
// Pure: no I/O, no allocation. The replies go back with an SPP header too
// (the load balancer strips 38 bytes from each); the data plane echoes the
// one it received (dataplane/udp/).
#pragma once

#include <netinet/in.h>

#include <cstddef>
#include <cstdint>

namespace mmproxy::pp {

constexpr uint16_t kSppMagic = 0x56EC;
constexpr size_t kSppLength = 38;

enum class SppStatus : uint8_t {
  kComplete,   // data[0, kSppLength) is the header, the rest is payload
  kNotSpp,     // the datagram does not start with the magic
  kTruncated,  // the magic, but fewer than kSppLength bytes
};

struct SppHeader {
  // sockaddr_in for an IPv4-mapped address, sockaddr_in6 otherwise; ports in
  // network order, as in any sockaddr.
  sockaddr_storage client{};
  sockaddr_storage proxy{};
};

// True when data[0, length) starts with the two magic bytes.
bool HasSppMagic(const uint8_t* data, size_t length);

// Reads the header at the start of data[0, length). Every 16-byte address is
// a valid IPv6 address, so nothing past the magic and the length can be
// malformed; whether the client is one a real client sends from is the
// data plane's question (dataplane/shared/header_client.h).
SppStatus ParseSpp(const uint8_t* data, size_t length, SppHeader* header);

}  // namespace mmproxy::pp
