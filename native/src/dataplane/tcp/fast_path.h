// The in-kernel fast path (--fast-path auto, experimental): an established
// flow's two sockets go into BPF sockhashes with an sk_skb stream-verdict
// program (fast_path_program.h) that sends what each socket receives straight
// out of its peer (bpf_sk_redirect_hash), so its bytes never cross into user
// space.
//
// Maps, keyed by the socket cookie (SO_COOKIE) of the socket whose bytes are
// redirected (its "source"):
//   peers    sockhash: cookie(src) -> dst, where src's bytes go;
//   attached sockhash: cookie(s)   -> s, the map the program is attached to;
//   slot_of  hash:     cookie(src) -> its slot in `slots`;
//   slots    array (mmapped here): per source, bytes redirected and an alarm;
//   alarms   ring buffer: slots whose redirected bytes reached their alarm.
// A socket's ingress runs the program only while it is in `attached`, and the
// program redirects only to sockets in `peers`: so a flow enters the other
// maps first and `attached` last, and nothing is ever redirected to a socket
// that is in no map. A source with no `slot_of` entry gets SK_PASS: its skbs
// go to its own psock queue, which recv() reads (tcp_bpf's recvmsg).
//
// One leg is taken back by its slot's mode (FastMode::kPass) and given to the
// kernel again by kResume; a whole flow, for good, by deleting its `slot_of`
// entries (Pass). Never by taking a socket out of `attached` while bytes may
// arrive: that clears the psock's program without the socket's lock, and a
// receive running on another CPU at that moment finds no program and drops
// an skb TCP has already acknowledged (net/core/skmsg.c,
// sk_psock_verdict_recv: no program means __SK_DROP). So both sockets stay
// attached until they are closed.
//
// Sockmap has no backpressure: a redirected skb waits on its destination
// without bound. So the worker arms each slot at what its destination has
// taken plus a bound, and the program wakes the worker (the ring buffer's
// descriptor turns readable) the moment a sender passes it: the watchdog
// runs as fast as the bytes arrive, not as often as a timer fires
// (tcp/worker_fast.cc). Once taken back, a socket stays in `attached` until
// it is closed: on this kernel (6.18), reading SK_PASS'd skbs and then leaving
// the map desynchronises TCP's copied_seq (tcp_recvmsg_locked warns and the
// flow stalls).
//
// One FastPath per TCP worker, made at start when --fast-path is auto: its
// descriptors and mappings go with the worker, and only the worker's thread
// updates its maps.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "os/mapping.h"
#include "os/unique_fd.h"

namespace mmproxy::dataplane {

// One source's slot, shared with the program through the mapping. The
// program writes `redirected` and `passed` (atomic adds) and turns `mode`
// from kResume to kRedirect; the worker writes the rest.
struct FastSlot {
  uint64_t redirected;  // bytes the program redirected from the source
  uint64_t alarm;       // redirected >= alarm: wake the worker, once
  uint64_t mode;        // FastMode: what the program does with the source's skbs
  uint64_t passed;      // bytes the program passed to the source's own queue
  uint64_t delivered;   // of those, bytes the relay has written to the destination
};
inline constexpr uint64_t kDisarmed = UINT64_MAX;

// One direction of a promoted flow, as the program sees it. kResume hands the
// direction back to the kernel without reordering: the program redirects
// again only from an skb that finds every passed byte delivered
// (passed == delivered), i.e. already in the destination's send queue, and
// passes it otherwise.
enum FastMode : uint64_t {
  kRedirect = 0,  // redirect to the peer
  kPass = 1,      // pass (SK_PASS), counted in `passed`: the relay moves them
  kResume = 2,    // pass until passed == delivered, then kRedirect
};

class FastPath {
 public:
  // Loads the maps and the program; check ok() before using it.
  FastPath();

  bool ok() const { return error_.empty(); }
  // Why it could not be loaded ("bpf(BPF_PROG_LOAD) failed: EPERM ..."), empty when ok().
  const std::string& error() const { return error_; }

  // Puts a flow's two sockets into the maps, in the order that keeps every
  // redirect's target in a map, each source's slot armed at `alarm`
  // redirected bytes; slots[] gets their slot numbers.
  struct Inserted {
    int error = 0;     // 0: both sockets run the program; else errno
    int attached = 0;  // how many are in `attached`: 2, or on failure 0 or 1 (a)
  };
  // With error set and one socket attached (b refused, say half-closed
  // meanwhile), `a` may already have redirected bytes to `b`, and taking `a`
  // out again would risk the detach race: the caller treats the flow as
  // promoted and demotes it at once.
  Inserted Insert(int a, uint64_t cookie_a, int b, uint64_t cookie_b, uint64_t alarm, uint32_t slots[2]);
  // `count` sockets that were attached have been closed (which took them out
  // of `attached`).
  void Closed(int count) { attached_sockets_ -= count; }
  // From now on the program passes what each socket receives to its own
  // queue (SK_PASS) instead of redirecting it; both stay attached, and their
  // peers entries stay, so skbs already redirected still reach them.
  void Pass(uint64_t cookie_a, uint64_t cookie_b);
  // Takes both sockets out of `peers` and `slot_of` and frees their slots,
  // once no program run can use them (after Pass and a barrier),
  // and only once everything the program redirected has reached its
  // destination's send queue: leaving its last map drops what waits in a
  // socket's redirect queue.
  void Remove(uint64_t cookie_a, uint64_t cookie_b, const uint32_t slots[2]);

  // Bytes the program redirected from the source in this slot so far.
  uint64_t Redirected(uint32_t slot) const {
    return __atomic_load_n(&Slot(slot).redirected, __ATOMIC_ACQUIRE);
  }
  // Wakes the worker once the slot's source has redirected `at` bytes.
  void Arm(uint32_t slot, uint64_t at) { __atomic_store_n(&Slot(slot).alarm, at, __ATOMIC_RELEASE); }
  FastMode Mode(uint32_t slot) const {
    return static_cast<FastMode>(__atomic_load_n(&Slot(slot).mode, __ATOMIC_ACQUIRE));
  }
  void SetMode(uint32_t slot, FastMode mode) { __atomic_store_n(&Slot(slot).mode, mode, __ATOMIC_RELEASE); }
  // The relay has written `total` passed bytes to the destination so far.
  void Delivered(uint32_t slot, uint64_t total) {
    __atomic_store_n(&Slot(slot).delivered, total, __ATOMIC_RELEASE);
  }

  // Readable (level) while alarms wait; TakeAlarms appends their slots
  // (a slot may come twice) and consumes them.
  int alarm_fd() const { return alarms_.get(); }
  void TakeAlarms(std::vector<uint32_t>* slots);

  // Process-wide tallies, for fastPathStatus(): flows promoted, legs taken
  // back because their destination did not keep up, and legs resumed.
  static inline std::atomic<uint64_t> promoted{0};
  static inline std::atomic<uint64_t> watchdog_demotions{0};
  static inline std::atomic<uint64_t> resumed{0};  // legs the kernel took over again

 private:
  FastSlot& Slot(uint32_t slot) const { return static_cast<FastSlot*>(slot_memory_.get())[slot]; }
  bool MapAlarms();

  UniqueFd peers_;
  UniqueFd attached_;
  UniqueFd slot_of_;
  UniqueFd slots_;
  UniqueFd alarms_;
  UniqueFd program_;
  Mapping slot_memory_;
  Mapping alarm_consumer_;  // the ring's consumer position, ours to write
  Mapping alarm_producer_;  // its producer position, then the ring twice over
  std::vector<uint32_t> free_slots_;
  // Sockets in `attached`: promoted ones and demoted ones not yet closed,
  // which stay there (see the detach race above).
  int attached_sockets_ = 0;
  std::string error_;
};

// The socket's cookie (SO_COOKIE), 0 when it has none.
uint64_t SocketCookie(int fd);

}  // namespace mmproxy::dataplane
