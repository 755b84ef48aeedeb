#include "dataplane/udp/datagram_header.h"

#include <cstring>

#include "dataplane/shared/counters.h"
#include "proxy_header/spp.h"

namespace mmproxy::dataplane {
namespace {

// Spec 2.2: "\r\n\r\n\0\r\nQUIT\n", chosen so that no other protocol starts
// with it.
constexpr uint8_t kV2Signature[] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

// A PROXY header on a datagram: the parser's verdict on the whole datagram,
// then what UDP adds (a v1 header or a STREAM client cannot describe one).
std::optional<HeaderRejection> ReadProxyV2(const uint8_t* data, size_t length, DatagramHeader* out) {
  pp::ParseResult result = pp::Parse(data, length, &out->header);
  if (result.status == pp::Status::kError) {
    return HeaderRejection{static_cast<size_t>(result.error), pp::ErrorCodeName(result.error),
                           pp::ErrorMessage(result.error)};
  }
  // Header and payload travel in one datagram: an incomplete header will
  // never be completed.
  if (result.status == pp::Status::kNeedMore) {
    return HeaderRejection{
        kTruncatedHeaderSlot, kTruncatedHeaderCode,
        "the datagram ends inside its PROXY header (" + std::to_string(length) + " bytes)"};
  }
  if (out->header.version != 2) {
    return HeaderRejection{kV1OverUdpSlot, kV1OverUdpCode,
                           "PROXY v1 cannot carry a datagram; configure the load balancer to send v2"};
  }
  // LOCAL ignores the address block, transport included (spec 2.2).
  if (out->header.command == pp::Command::kProxy && out->header.transport == pp::Transport::kStream) {
    return HeaderRejection{
        kWrongTransportSlot, kWrongTransportCode,
        "the PROXY v2 header describes a STREAM (TCP) connection, not a datagram; configure "
        "the load balancer to send DGRAM headers over UDP"};
  }
  out->kind = HeaderKind::kProxyV2;
  out->length = out->header.length;
  return std::nullopt;
}

std::optional<HeaderRejection> ReadSpp(const uint8_t* data, size_t length, DatagramHeader* out) {
  pp::SppHeader spp;
  switch (pp::ParseSpp(data, length, &spp)) {
    case pp::SppStatus::kNotSpp:
      return HeaderRejection{
          kNotSppSlot, kNotSppCode,
          StartsWithV2Signature(data, length)
              ? "it starts with a PROXY v2 header, not an SPP one; run with --udp-header every (or auto)"
              : "it does not start with an SPP header (magic 0x56EC)"};
    case pp::SppStatus::kTruncated:
      return HeaderRejection{kTruncatedHeaderSlot, kTruncatedHeaderCode,
                             "the datagram ends inside its SPP header (" + std::to_string(length) + " of " +
                                 std::to_string(pp::kSppLength) + " bytes)"};
    case pp::SppStatus::kComplete:
      break;
  }
  pp::Header& header = out->header;
  header = pp::Header{};
  header.version = 2;
  header.command = pp::Command::kProxy;
  header.family = spp.client.ss_family == AF_INET ? pp::Family::kInet : pp::Family::kInet6;
  header.transport = pp::Transport::kDgram;
  header.source = spp.client;
  header.destination = spp.proxy;
  header.length = pp::kSppLength;
  out->kind = HeaderKind::kSpp;
  out->length = pp::kSppLength;
  return std::nullopt;
}

}  // namespace

bool StartsWithV2Signature(const uint8_t* data, size_t length) {
  return length >= sizeof kV2Signature && std::memcmp(data, kV2Signature, sizeof kV2Signature) == 0;
}

std::optional<HeaderRejection> ReadDatagramHeader(UdpHeaderMode mode, const uint8_t* data, size_t length,
                                                  DatagramHeader* out) {
  switch (mode) {
    case UdpHeaderMode::kEvery:
      return ReadProxyV2(data, length, out);
    case UdpHeaderMode::kFirst:
      // Only the whole signature makes a header: a payload that merely
      // starts like one ("\r\n", or "PROXY" in a chat line) is the client's.
      if (StartsWithV2Signature(data, length)) return ReadProxyV2(data, length, out);
      out->kind = HeaderKind::kNone;
      out->length = 0;
      return std::nullopt;
    case UdpHeaderMode::kSpp:
      return ReadSpp(data, length, out);
    case UdpHeaderMode::kAuto:
      // The first bytes are the load balancer's in both protocols, so the
      // magic cannot be the client's choice.
      return pp::HasSppMagic(data, length) ? ReadSpp(data, length, out) : ReadProxyV2(data, length, out);
  }
  return ReadProxyV2(data, length, out);
}

}  // namespace mmproxy::dataplane
