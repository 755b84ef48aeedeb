// The in-kernel fast path for established flows (--fast-path auto; the maps
// and program: tcp/fast_path.h). A flow is promoted once its relay has read
// Config::fast_path_after_reads times and both halves are drained; from then
// on the kernel moves its bytes and this file watches.
// Rules each learned the hard way (issue 20):
// - Promote only when the last read of each socket was short or EAGAIN and
//   everything read was written: the program must never see a partly read
//   skb (it would send it again whole) nor overtake bytes still in a chunk
//   or pipe. Bytes that arrived since wait in the receive queue: the kick
//   (SO_RCVLOWAT, whose setsockopt wakes the socket's data_ready) runs the
//   program over them.
// - No backpressure: a redirected skb waits on its destination without
//   bound. The watchdog compares, leg by leg, what the program redirected
//   with what reached the destination's send queue (Overflowing: past
//   kBacklogBoundBytes with a destination that stopped taking bytes, or past
//   kBacklogCapBytes) and takes that leg back (Detour): the program passes
//   its skbs (FastMode::kPass), the relay moves them once the redirected ones
//   are out, and once the relay has emptied the source, the leg goes back to
//   the kernel (MaybeResume, FastMode::kResume: the program switches at the
//   first skb that finds every passed byte delivered, so nothing overtakes).
//   Each slot is armed at the bound, so the program itself wakes the worker
//   when a sender passes it; a tick every kFastTickMs keeps the byte
//   counters current and stands in for an alarm the ring had no room for.
// - Promotion locks each socket's receive buffer at its size then:
//   autotuning would otherwise grow it (to tcp_rmem's maximum, 32 MiB here)
//   while the program empties it, and once a leg is taken back a stalled
//   reader's sender could fill all of it.
// - Nothing is ever taken out of `attached` while bytes may arrive: that
//   clears its psock's program without the socket's lock, and a receive
//   running on another CPU at that moment finds no program and drops its
//   skb, already acknowledged (the detach race: net/core/skmsg.c,
//   sk_psock_verdict_recv; it lost one skb in about one demotion in seven
//   when the stalled-reader test ran on two CPUs). A leg or flow is taken
//   back by having the program pass its skbs to the socket's own psock queue
//   (SK_PASS), in order, charged to its receive buffer (TCP's window then
//   stops the sender); both sockets stay attached until they are closed, and
//   the relay reads them with recv() only (splice reads the receive queue,
//   which the program empties).
// - A FIN, error or hang-up takes the whole flow back for good (Demote; the
//   program drops a bare FIN, and the relay holds any EOF it reads until
//   then): once every redirected byte is in its send queue, the flow leaves
//   `peers` and `slot_of`, and the relay reads the EOF or error and passes it
//   on, as for any flow (an EOF only once no passed byte still waits in the
//   psock's work queue: relay.cc).
// Byte counters: what the program put in a destination's send queue (its
// bytes acknowledged + SIOCOUTQ, against the same sum when promoted, less
// what the relay wrote there meanwhile), added at each check, so snapshots
// lag by at most kFastTickMs and end exact.
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

// Redirected bytes not yet in the destination's send queue past which the
// watchdog looks at a leg. It takes the leg back if the destination took less
// than half a bound since the watchdog last found it over (a reader that
// stopped or crawls), or at once past kBacklogCapBytes (one that reads, but
// slower than its sender sends). A destination that keeps taking bytes keeps
// its leg in the kernel: in bulk transfers the psock's work queue lags even a
// fast reader by more than a bound now and then, and a leg taken back for
// that moves on the copy relay, slower than the kernel (with flows taken back
// for good, bulk fell from 42.8 to 22.3 Gbit/s). What a stalled reader makes
// the kernel hold is then about two bounds, the destination's send buffer and
// the source's receive buffer, against the relay's receive buffer, pipe and
// send buffer (the stalled-reader test prints both). 512 KiB is eight
// full-size TSO skbs.
constexpr uint64_t kBacklogBoundBytes = 512 << 10;
constexpr uint64_t kBacklogCapBytes = 8 << 20;
// How often promoted flows are checked without an alarm or event (byte
// counters; a lost alarm), and draining flows (for their hand-back).
constexpr int64_t kFastTickMs = 50;
constexpr int64_t kDrainTickMs = 2;

// Bytes ever written to the socket, plus a constant (the SYN): acknowledged
// plus still queued. Read in that order, so that a concurrent ACK or write
// can make the sum short but never long: good enough for what the program
// moved since promotion, which may lag. false when a call fails.
bool BytesWritten(int fd, uint64_t* written) {
  tcp_info info{};
  socklen_t length = sizeof(info);
  if (::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &length) != 0) return false;
  int queued = 0;
  if (::ioctl(fd, SIOCOUTQ, &queued) != 0) return false;
  *written = info.tcpi_bytes_acked + static_cast<uint64_t>(queued);
  return true;
}

// The same sum, exact, for the base at promotion, where a short one would
// make the bytes moved since look long and a drain look done while an skb
// still waited in the program's queue (dropped when the flow leaves the
// maps): only this thread writes to the socket then, so if the acknowledged
// count did not move across the SIOCOUTQ read, the sum was true at that moment.
bool ExactBytesWritten(int fd, uint64_t* written) {
  constexpr int kAttempts = 8;  // each retry means an ACK landed in a window of a few µs
  tcp_info before{};
  socklen_t length = sizeof(before);
  if (::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &before, &length) != 0) return false;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    int queued = 0;
    tcp_info after{};
    length = sizeof(after);
    if (::ioctl(fd, SIOCOUTQ, &queued) != 0 ||
        ::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &after, &length) != 0) {
      return false;
    }
    if (after.tcpi_bytes_acked == before.tcpi_bytes_acked) {
      *written = after.tcpi_bytes_acked + static_cast<uint64_t>(queued);
      return true;
    }
    before = after;
  }
  return false;  // ACKs kept landing: the flow stays on the relay
}

// SO_RCVBUF as it is now, and locked there (SO_RCVBUFFORCE: past rmem_max,
// which autotuning may have passed; the kernel doubles what it is given).
void LockReceiveBuffer(int fd) {
  int size = 0;
  socklen_t length = sizeof(size);
  if (::getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, &length) != 0 || size <= 1) return;
  int half = size / 2;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &half, sizeof(half));
}

bool Drained(const Half& half) {
  return half.watched && !half.readable && !half.pending() && !half.eof && !half.fin_pending &&
         !half.error_pending && !half.done;
}

}  // namespace

// The alarm ring joins the loop's epoll set, level-triggered: readable for as
// long as alarms wait. Without it the tick alone watches the flows.
void Worker::WatchFastAlarms() {
  if (!fast_ || !fast_->ok()) return;
  epoll_event watch{EPOLLIN, {}};
  watch.data.ptr = &fast_alarm_tag_;
  ::epoll_ctl(epoll_fd(), EPOLL_CTL_ADD, fast_->alarm_fd(), &watch);
}

// A promoted flow's backlog passed its bound (or its slot's earlier owner's
// did, an alarm still in the ring: one check too many, harmless).
void Worker::OnFastAlarms() {
  fast_alarms_.clear();
  fast_->TakeAlarms(&fast_alarms_);
  for (uint32_t slot : fast_alarms_) {
    auto it = fast_slots_.find(slot);
    if (it != fast_slots_.end() && !it->second->closed) CheckFast(*it->second);
  }
}

void Worker::MaybePromote(Flow& flow) {
  FastFlow& fast = flow.fast;
  if (fast.stage == FastStage::kPromoted) {
    MaybeResume(flow);
    return;
  }
  if (fast.stage != FastStage::kRelay || flow.queued) return;
  if (!fast_ || !fast_->ok()) {
    fast.stage = FastStage::kNever;
    return;
  }
  // Short flows stay on the relay: a move and its way back cost more than
  // the relay spends on a few reads (--fast-path-after).
  if (fast.reads < shared_.config.fast_path_after_reads) return;
  if (!Drained(flow.client) || !Drained(flow.target)) return;  // again after the next relay
  // Any failure: this flow stays on the relay, silently (start-up said whether
  // the fast path runs at all).
  fast.stage = FastStage::kNever;
  Half* halves[2] = {&flow.client, &flow.target};
  for (int d = 0; d < 2; ++d) {
    fast.cookie[d] = SocketCookie(halves[d]->fd.get());
    if (fast.cookie[d] == 0 || !ExactBytesWritten(halves[1 - d]->fd.get(), &fast.base[d])) return;
    fast.written[d] = 0;
    fast.relayed[d] = 0;
    fast.leg[d] = FastLeg::kKernel;
  }
  // Fails when a socket was half-closed meanwhile (EOPNOTSUPP) or the maps
  // are full: the relay goes on.
  FastPath::Inserted inserted = fast_->Insert(flow.client.fd.get(), fast.cookie[0], flow.target.fd.get(),
                                              fast.cookie[1], kBacklogBoundBytes + 1, fast.slot);
  fast.attached = inserted.attached;
  if (inserted.attached == 0) return;
  for (Half* half : halves) {
    LockReceiveBuffer(half->fd.get());
    half->psock_queue = true;  // attached until closed: recv() reads what the program passes
    half->hold_eof = true;
  }
  fast.stage = FastStage::kPromoted;
  fast_flows_.push_back(&flow);
  for (uint32_t slot : fast.slot) fast_slots_[slot] = &flow;
  // The kick: bytes that arrived after the last read wait in the receive
  // queue, and the program runs only on the next data_ready. (Once attached,
  // recv() reads the psock's queue only: the program must see them.)
  int one = 1;
  for (Half* half : halves) ::setsockopt(half->fd.get(), SOL_SOCKET, SO_RCVLOWAT, &one, sizeof(one));
  if (inserted.error != 0) {
    // Only the client's socket is attached, and it may have redirected bytes
    // already: taken back like any promoted flow, it stays attached.
    Demote(flow);
    return;
  }
  FastPath::promoted.fetch_add(1, std::memory_order_relaxed);
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
  // A leg the relay moves needs its events too.
  if (!flow.closed && flow.fast.stage == FastStage::kPromoted &&
      (RelayMoves(flow, 0) || RelayMoves(flow, 1))) {
    Pump(flow);
  }
}

// Accounts what the program moved; the watchdog, leg by leg; a leg's way
// back to the kernel; hands a demoted flow to the relay once every
// redirected byte reached its destination's send queue.
void Worker::CheckFast(Flow& flow) {
  FastFlow& fast = flow.fast;
  if (fast.stage != FastStage::kPromoted && fast.stage != FastStage::kDraining) return;
  Half* halves[2] = {&flow.client, &flow.target};
  bool flushed = true;
  bool to_relay = false;
  for (int d = 0; d < 2; ++d) {
    uint64_t redirected = fast_->Redirected(fast.slot[d]);
    // What the destination took since promotion, less what the relay wrote to it.
    uint64_t written = fast.written[d];
    uint64_t total = 0;
    if (BytesWritten(halves[1 - d]->fd.get(), &total) && total > fast.base[d] + fast.relayed[d]) {
      written = std::max(written, total - fast.base[d] - fast.relayed[d]);
    }
    Account(flow, d == 0, written - fast.written[d]);
    fast.written[d] = written;
    bool leg_flushed = written >= redirected;
    if (!leg_flushed) flushed = false;
    if (fast.stage != FastStage::kPromoted) continue;
    switch (fast.leg[d]) {
      case FastLeg::kKernel:
        if (Overflowing(fast, d, redirected)) Detour(flow, d);
        break;
      case FastLeg::kFlushing:
        if (leg_flushed) {
          fast.leg[d] = FastLeg::kRelay;
          to_relay = true;
        }
        break;
      case FastLeg::kResuming:
        if (fast_->Mode(fast.slot[d]) == kRedirect) {
          fast.leg[d] = FastLeg::kKernel;
          fast.over_at[d] = kUnderBound;
          FastPath::resumed.fetch_add(1, std::memory_order_relaxed);
        }
        break;
      case FastLeg::kRelay:
        break;
    }
    // The next alarm: a bound past what the destination has taken now, or,
    // over the bound, another bound's worth of redirects from here. A
    // resuming leg's too: the program may redirect again any moment.
    if (fast.leg[d] == FastLeg::kKernel || fast.leg[d] == FastLeg::kResuming) {
      uint64_t from = fast.over_at[d] == kUnderBound ? written : redirected;
      fast_->Arm(fast.slot[d], from + kBacklogBoundBytes + 1);
    } else {
      fast_->Arm(fast.slot[d], kDisarmed);
    }
  }
  // A broken flow ends on the relay (which reads the error and resets both
  // sides): its redirected bytes may never arrive.
  if (fast.stage == FastStage::kDraining && (flushed || fast.broken)) {
    BackToRelay(flow);
    return;
  }
  if (to_relay) {
    // Readiness is unknown after the kernel's turn: try, and let EAGAIN say otherwise.
    for (int d = 0; d < 2; ++d) {
      if (fast.leg[d] != FastLeg::kRelay) continue;
      halves[d]->readable = true;
      halves[1 - d]->writable = true;
    }
    Pump(flow);
  }
}

// The watchdog for a leg the kernel moves: past the bound, a destination
// that took less than half a bound since the last look, or past the cap.
bool Worker::Overflowing(FastFlow& fast, int d, uint64_t redirected) {
  uint64_t written = fast.written[d];
  uint64_t backlog = redirected - std::min(redirected, written);
  if (backlog <= kBacklogBoundBytes) {
    fast.over_at[d] = kUnderBound;
    return false;
  }
  if (backlog > kBacklogCapBytes ||
      (fast.over_at[d] != kUnderBound && written - fast.over_at[d] < kBacklogBoundBytes / 2)) {
    return true;
  }
  fast.over_at[d] = written;  // over: see what the destination takes by the next look
  return false;
}

// Takes one leg back from the kernel while its destination is behind: the
// program passes its source's skbs to the source's own queue (backpressure
// by TCP's window), and once the redirected ones are in the destination's
// send queue the relay moves them.
void Worker::Detour(Flow& flow, int d) {
  FastFlow& fast = flow.fast;
  fast_->SetMode(fast.slot[d], kPass);
  // A run that read the mode before may still be redirecting, under the
  // source's lock: TCP_INFO takes that lock, so after it the count is final.
  tcp_info info{};
  socklen_t length = sizeof(info);
  ::getsockopt((d == 0 ? flow.client : flow.target).fd.get(), IPPROTO_TCP, TCP_INFO, &info, &length);
  fast.leg[d] = FastLeg::kFlushing;
  FastPath::watchdog_demotions.fetch_add(1, std::memory_order_relaxed);
  next_fast_tick_ms_ = std::min(next_fast_tick_ms_, now_ms_ + kDrainTickMs);
}

// A relayed leg whose source the relay has emptied goes back to the kernel:
// the program switches from the first skb that finds every passed byte in
// the destination's send queue (FastMode::kResume).
void Worker::MaybeResume(Flow& flow) {
  FastFlow& fast = flow.fast;
  Half* halves[2] = {&flow.client, &flow.target};
  for (int d = 0; d < 2; ++d) {
    if (fast.leg[d] != FastLeg::kRelay || !Drained(*halves[d])) continue;
    fast_->SetMode(fast.slot[d], kResume);
    fast.leg[d] = FastLeg::kResuming;
    fast_->Arm(fast.slot[d], fast.written[d] + kBacklogBoundBytes + 1);
  }
}

// What the relay wrote for a leg of a flow in the maps: subtracted from what
// its destination took, and published for the program's resume check.
void Worker::NoteRelayed(Flow& flow, int d, uint64_t moved) {
  FastFlow& fast = flow.fast;
  if (moved == 0 || (fast.stage != FastStage::kPromoted && fast.stage != FastStage::kDraining)) return;
  fast.relayed[d] += moved;
  fast_->Delivered(fast.slot[d], fast.relayed[d]);
}

// Whether the relay moves direction d of the flow now: always, but for a
// flow in the maps, only on a leg the kernel does not move.
bool Worker::RelayMoves(const Flow& flow, int d) const {
  const FastFlow& fast = flow.fast;
  if (fast.stage == FastStage::kDraining) return false;
  if (fast.stage != FastStage::kPromoted) return true;
  return fast.leg[d] == FastLeg::kRelay || fast.leg[d] == FastLeg::kResuming;
}

// Stops the redirects on both sockets: what arrives from now on waits in
// their own psock queues, with TCP's own backpressure, until the relay reads it.
void Worker::Demote(Flow& flow) {
  fast_->Pass(flow.fast.cookie[0], flow.fast.cookie[1]);
  // A program run that looked its slot up before may still be adding to the
  // counts on another CPU, under the socket's lock: TCP_INFO takes that lock,
  // so once it returns on both sockets no run is left and the counts are final.
  for (Half* half : {&flow.client, &flow.target}) {
    tcp_info info{};
    socklen_t length = sizeof(info);
    ::getsockopt(half->fd.get(), IPPROTO_TCP, TCP_INFO, &info, &length);
  }
  flow.fast.stage = FastStage::kDraining;
  next_fast_tick_ms_ = std::min(next_fast_tick_ms_, now_ms_ + kDrainTickMs);
  CheckFast(flow);
}

void Worker::BackToRelay(Flow& flow) {
  ForgetFastFlow(flow);
  // Readiness is unknown after the kernel's turn (edges came while the flow
  // was the kernel's): try both ways, and let EAGAIN say otherwise.
  for (Half* half : {&flow.client, &flow.target}) {
    half->psock_queue = true;  // still attached, passing: recv() reads them
    half->readable = true;
    half->writable = true;
  }
  Pump(flow);
}

// A flow closed while in the maps: closing its sockets takes them out of
// `attached` (whatever arrives then is reset anyway).
void Worker::LeaveFastPath(Flow& flow) {
  if (flow.fast.stage == FastStage::kPromoted || flow.fast.stage == FastStage::kDraining)
    ForgetFastFlow(flow);
}

// Out of `peers` and `slot_of`, its slots freed; off the tick; the relay, for good.
void Worker::ForgetFastFlow(Flow& flow) {
  FastFlow& fast = flow.fast;
  for (Half* half : {&flow.client, &flow.target}) half->hold_eof = false;
  fast_->Remove(fast.cookie[0], fast.cookie[1], fast.slot);
  for (uint32_t slot : fast.slot) fast_slots_.erase(slot);
  fast.stage = FastStage::kNever;
  fast_flows_.erase(std::find(fast_flows_.begin(), fast_flows_.end(), &flow));
}

void Worker::TickFastFlows(int64_t now_ms) {
  if (fast_flows_.empty() || now_ms < next_fast_tick_ms_) return;
  // CheckFast may take a flow off the list (and the relay may close it).
  std::vector<Flow*> turn = fast_flows_;
  for (Flow* flow : turn) {
    if (!flow->closed) CheckFast(*flow);
  }
  bool draining = std::any_of(fast_flows_.begin(), fast_flows_.end(), [](const Flow* flow) {
    return flow->fast.stage == FastStage::kDraining || flow->fast.leg[0] == FastLeg::kFlushing ||
           flow->fast.leg[1] == FastLeg::kFlushing;
  });
  next_fast_tick_ms_ = now_ms + (draining ? kDrainTickMs : kFastTickMs);
}

}  // namespace mmproxy::dataplane
