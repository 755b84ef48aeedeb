// What the header in front of a datagram changes beyond its client: the
// counts by kind (which --udp-header auto reports), and for SPP the header
// on every reply. Cloudflare Spectrum and Tencent EdgeOne strip 38 bytes
// from each datagram the origin sends back; without a header there they
// would cut the payload. The reply carries the header of the client's last
// datagram as it came: it names the flow (client, and the address the
// client sent to), which is how the load balancer knows whose reply it is.
#include <cstring>

#include "dataplane/udp/udp_worker.h"

namespace mmproxy::dataplane {

void UdpWorker::NoteHeader(UdpSession& session, const DatagramHeader& read, const uint8_t* data) {
  const bool spp = read.kind == HeaderKind::kSpp;
  Bump(spp ? counters_.udp_headers.spp : counters_.udp_headers.proxy_v2);
  if (spp && session.header_kind == HeaderKind::kNone) Bump(counters_.udp_headers.spp_sessions);
  session.header_kind = read.kind;
  if (spp) std::memcpy(session.spp_header.data(), data, pp::kSppLength);
}

// Bytes to leave in front of a reply for its header.
size_t UdpWorker::ReplyHeaderRoom(const UdpSession& session) {
  return session.header_kind == HeaderKind::kSpp ? pp::kSppLength : 0;
}

// `reply` points at the room ReplyHeaderRoom() left.
void UdpWorker::FrameReply(const UdpSession& session, uint8_t* reply) {
  if (session.header_kind == HeaderKind::kSpp) std::memcpy(reply, session.spp_header.data(), pp::kSppLength);
}

}  // namespace mmproxy::dataplane
