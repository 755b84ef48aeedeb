// The in-kernel fast path for established flows (--fast-path auto; the maps
// and program: tcp/fast_path.h). A flow is promoted once both halves are
// drained; from then on the kernel moves its bytes and this file watches.
// Rules each learned the hard way (issue 20):
// - Promote only when the last read of each socket was short or EAGAIN and
//   everything read was written: the program must never see a partly read
//   skb (it would send it again whole) nor overtake bytes still in a chunk
//   or pipe. Bytes that arrived since wait in the receive queue: the kick
//   (SO_RCVLOWAT, whose setsockopt wakes the socket's data_ready) runs the
//   program over them.
// - No backpressure: a redirected skb waits on its destination without
//   bound. The watchdog compares what the program redirected from each side
//   with what reached the other side's send queue, on every event of the
//   flow and every kFastTickMs, and past kBacklogBoundBytes demotes the flow.
//   It acts only as often as the worker runs: a sender that outpaces it by
//   more than the bound before a check makes the kernel hold more (the test
//   measures it; docs/proxy.md says so).
// - A FIN, error or hang-up demotes the flow too (the program drops a bare
//   FIN): once every redirected byte is in its send queue, the flow leaves
//   the maps, and the relay reads the EOF or error and passes it on, as for
//   any flow. Demoted flows stay on the relay.
// Byte counters: what the program put in a destination's send queue (its
// bytes acknowledged + SIOCOUTQ, against the same sum when promoted), added
// at each check, so snapshots lag by at most kFastTickMs and end exact.
#include <linux/sockios.h>
#include <linux/tcp.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <algorithm>

#include "dataplane/tcp/fast_path.h"
#include "dataplane/tcp/worker.h"

namespace mmproxy::dataplane {
namespace {

// Redirected bytes not yet in the destination's send queue past which a flow
// is demoted: a socket buffer's worth, so a stalled reader makes the kernel
// hold about what the relay would (a receive buffer, a pipe, a send buffer).
constexpr uint64_t kBacklogBoundBytes = 4 << 20;
// How often promoted flows are checked without an event (watchdog, counters).
constexpr int64_t kFastTickMs = 5;

// Bytes ever written to the socket, plus a constant (the SYN): acknowledged
// plus still queued. Read in that order, so that a concurrent ACK or write
// can make the sum short but never long. false when a call fails.
bool BytesWritten(int fd, uint64_t* written) {
  tcp_info info{};
  socklen_t length = sizeof(info);
  if (::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &length) != 0) return false;
  int queued = 0;
  if (::ioctl(fd, SIOCOUTQ, &queued) != 0) return false;
  *written = info.tcpi_bytes_acked + static_cast<uint64_t>(queued);
  return true;
}

bool Drained(const Half& half) {
  return half.watched && !half.readable && !half.pending() && !half.eof && !half.fin_pending &&
         !half.error_pending && !half.done;
}

}  // namespace

void Worker::MaybePromote(Flow& flow) {
  FastFlow& fast = flow.fast;
  if (fast.stage != FastStage::kRelay || flow.queued) return;
  if (!fast_ || !fast_->ok()) {
    fast.stage = FastStage::kNever;
    return;
  }
  if (!Drained(flow.client) || !Drained(flow.target)) return;  // again after the next relay
  // Any failure: this flow stays on the relay, silently (start-up said whether
  // the fast path runs at all).
  fast.stage = FastStage::kNever;
  Half* halves[2] = {&flow.client, &flow.target};
  for (int d = 0; d < 2; ++d) {
    fast.cookie[d] = SocketCookie(halves[d]->fd.get());
    if (fast.cookie[d] == 0 || !BytesWritten(halves[1 - d]->fd.get(), &fast.base[d])) return;
    fast.written[d] = 0;
  }
  // Fails when a socket was half-closed meanwhile (EOPNOTSUPP) or the maps
  // are full: the relay goes on.
  if (fast_->Insert(flow.client.fd.get(), fast.cookie[0], flow.target.fd.get(), fast.cookie[1]) != 0) return;
  fast.stage = FastStage::kPromoted;
  FastPath::promoted.fetch_add(1, std::memory_order_relaxed);
  fast_flows_.push_back(&flow);
  // The kick: bytes that arrived after the last read wait in the receive
  // queue, and the program runs only on the next data_ready.
  int one = 1;
  for (Half* half : halves) ::setsockopt(half->fd.get(), SOL_SOCKET, SO_RCVLOWAT, &one, sizeof(one));
}

void Worker::OnFastEvent(Flow& flow, uint32_t events) {
  if (events & (EPOLLERR | EPOLLHUP)) flow.fast.broken = true;
  // A FIN or an error is the relay's to pass on, in order, after the bytes.
  if (flow.fast.stage == FastStage::kPromoted &&
      (flow.fast.broken || flow.client.fin_pending || flow.target.fin_pending)) {
    Demote(flow);
    return;
  }
  CheckFast(flow);
}

// Accounts what the program moved; the watchdog; hands a demoted flow to the
// relay once every redirected byte reached its destination's send queue.
void Worker::CheckFast(Flow& flow) {
  FastFlow& fast = flow.fast;
  if (fast.stage != FastStage::kPromoted && fast.stage != FastStage::kDraining) return;
  Half* halves[2] = {&flow.client, &flow.target};
  bool flushed = true;
  bool overflow = false;
  for (int d = 0; d < 2; ++d) {
    uint64_t redirected = fast_->Redirected(fast.cookie[d]);
    uint64_t written = fast.written[d];
    uint64_t now_written = 0;
    if (BytesWritten(halves[1 - d]->fd.get(), &now_written) && now_written > fast.base[d]) {
      written = std::max(written, now_written - fast.base[d]);
    }
    Account(flow, d == 0, written - fast.written[d]);
    fast.written[d] = written;
    if (written < redirected) flushed = false;
    if (redirected - std::min(redirected, written) > kBacklogBoundBytes) overflow = true;
  }
  if (fast.stage == FastStage::kPromoted && overflow) {
    FastPath::watchdog_demotions.fetch_add(1, std::memory_order_relaxed);
    Demote(flow);
    return;
  }
  // A broken flow ends on the relay (which reads the error and resets both
  // sides): its redirected bytes may never arrive.
  if (fast.stage == FastStage::kDraining && (flushed || fast.broken)) BackToRelay(flow);
}

// Stops the program on both sockets: what arrives from now on waits in their
// receive queues, with TCP's own backpressure, until the relay reads it.
void Worker::Demote(Flow& flow) {
  fast_->Detach(flow.fast.cookie[0], flow.fast.cookie[1]);
  flow.fast.stage = FastStage::kDraining;
  CheckFast(flow);
}

void Worker::BackToRelay(Flow& flow) {
  LeaveFastPath(flow);
  // Readiness is unknown after the kernel's turn (edges came while the flow
  // was the kernel's): try both ways, and let EAGAIN say otherwise.
  for (Half* half : {&flow.client, &flow.target}) {
    half->readable = true;
    half->writable = true;
  }
  Pump(flow);
}

// Out of every map, off the tick; the relay, for good.
void Worker::LeaveFastPath(Flow& flow) {
  FastFlow& fast = flow.fast;
  if (fast.stage != FastStage::kPromoted && fast.stage != FastStage::kDraining) return;
  fast_->Detach(fast.cookie[0], fast.cookie[1]);
  fast_->Remove(fast.cookie[0], fast.cookie[1]);
  fast.stage = FastStage::kNever;
  fast_flows_.erase(std::find(fast_flows_.begin(), fast_flows_.end(), &flow));
}

void Worker::TickFastFlows(int64_t now_ms) {
  if (fast_flows_.empty() || now_ms < next_fast_tick_ms_) return;
  next_fast_tick_ms_ = now_ms + kFastTickMs;
  // CheckFast may take a flow off the list (and the relay may close it).
  std::vector<Flow*> turn = fast_flows_;
  for (Flow* flow : turn) {
    if (!flow->closed) CheckFast(*flow);
  }
}

}  // namespace mmproxy::dataplane
