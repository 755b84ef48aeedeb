// Replies from the targets: read from each session's upstream socket and
// sent back through the listener to the load balancer the session came
// from, as the bare payload (go-mmproxy does the same: a reply carries no
// PROXY header) or, for SPP sessions, behind an SPP header
// (udp_worker_headers.cc), batched into sendmmsg calls.
#include <sys/socket.h>

#include <cerrno>

#include "dataplane/udp/udp_worker.h"

namespace mmproxy::dataplane {
namespace {

// Replies read from one session per readiness report; the rest wait for the
// next turn (the socket is level-triggered), so one chatty target cannot
// hold the loop.
constexpr int kMaxRepliesPerRead = 32;

}  // namespace

void UdpWorker::ReadUpstream(UdpSession& session) {
  for (int i = 0; i < kMaxRepliesPerRead; ++i) {
    if (pending_replies_ == DatagramBatch::kSize) FlushReplies();
    unsigned slot = pending_replies_;
    const size_t room = ReplyHeaderRoom(session);
    // MSG_TRUNC: the datagram's real length, even past the buffer.
    ssize_t got = ::recv(session.upstream.get(), replies_.buffer(slot) + room, DatagramBatch::kBytes - room,
                         MSG_DONTWAIT | MSG_TRUNC);
    // EAGAIN: nothing more for now. ECONNREFUSED: an ICMP unreachable for an
    // earlier datagram (no service on the target port); the session stays,
    // the target may come back.
    if (got < 0) return;
    // Only with a header in front: 65,536 bytes hold any UDP payload.
    if (static_cast<size_t>(got) > DatagramBatch::kBytes - room) {
      Bump(counters_.datagrams_dropped);
      continue;
    }
    FrameReply(session, replies_.buffer(slot));
    replies_.SetOutgoing(slot, session.reply_to.sockaddr_ptr(), session.reply_to.length(),
                         room + static_cast<size_t>(got));
    ++pending_replies_;
    Bump(counters_.bytes_to_client, static_cast<uint64_t>(got));
    session.info.bytes_to_client.fetch_add(static_cast<uint64_t>(got), std::memory_order_relaxed);
    Touch(session, false);
  }
}

void UdpWorker::FlushReplies() {
  unsigned sent = 0;
  while (sent < pending_replies_ && listener_.valid()) {
    int done = ::sendmmsg(listener_.get(), replies_.headers() + sent, pending_replies_ - sent, MSG_DONTWAIT);
    if (done > 0) {
      sent += static_cast<unsigned>(done);
      continue;
    }
    // The first of the rest failed (EAGAIN: the listener's send buffer is
    // full; or the load balancer's address is unreachable): that one is lost.
    Bump(counters_.datagrams_dropped);
    ++sent;
  }
  if (sent < pending_replies_) Bump(counters_.datagrams_dropped, pending_replies_ - sent);
  pending_replies_ = 0;
}

}  // namespace mmproxy::dataplane
