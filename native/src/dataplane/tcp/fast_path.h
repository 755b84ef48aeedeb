// The in-kernel fast path (--fast-path auto, experimental): an established
// flow's two sockets go into BPF sockhashes with an sk_skb stream-verdict
// program that sends what each socket receives straight out of its peer
// (bpf_sk_redirect_hash), so its bytes never cross into user space.
//
// Three maps, all keyed by the socket cookie (SO_COOKIE) of the socket whose
// bytes are redirected (its "source"):
//   peers    sockhash: cookie(src) -> dst, where src's bytes go;
//   attached sockhash: cookie(s)   -> s, the map the program is attached to;
//   counts   hash:     cookie(src) -> bytes the program redirected from src.
// A socket's ingress runs the program only while it is in `attached`, and the
// program redirects only to sockets in `peers`: so a flow enters the other
// maps first and `attached` last, and leaves `attached` first, and nothing is
// ever redirected to a socket that is in no map.
//
// The program, by hand (no clang or libbpf at run time):
//   if (skb->len == 0) return SK_DROP;   // a bare FIN: user space passes it on
//   cookie = bpf_get_socket_cookie(skb);
//   if (!(count = counts[cookie])) return SK_PASS;  // not promoted: never so
//   *count += skb->len (atomic);
//   return bpf_sk_redirect_hash(skb, peers, &cookie, 0);  // out of dst
//
// It has no backpressure: a redirected skb waits on its destination's queue
// without bound, so user space watches each flow (tcp/worker_fast.cc). An
// in-kernel bound (past a limit, SK_PASS to the source's own queue) was tried
// and dropped: on this kernel (6.18) reading such skbs and then leaving the
// map desynchronises TCP's copied_seq (tcp_recvmsg_locked warns and the
// flow stalls).
// One FastPath per TCP worker, made at start when --fast-path is auto: its
// descriptors close with the worker, as every descriptor of a plane does, and
// only the worker's thread updates its maps.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "os/unique_fd.h"

namespace mmproxy::dataplane {

class FastPath {
 public:
  // Loads the maps and the program; check ok() before using it.
  FastPath();

  bool ok() const { return error_.empty(); }
  // Why it could not be loaded ("bpf(BPF_PROG_LOAD) failed: EPERM ..."), empty when ok().
  const std::string& error() const { return error_; }

  // Puts a flow's two sockets into the maps, in the order that keeps every
  // redirect's target in a map. Returns 0, or errno; on failure the flow is
  // in no map.
  int Insert(int a, uint64_t cookie_a, int b, uint64_t cookie_b);
  // Stops the program on both sockets (they leave `attached`); their peers
  // entries stay, so skbs the program already redirected still reach them.
  void Detach(uint64_t cookie_a, uint64_t cookie_b);
  // Takes both sockets out of the remaining maps. Only once everything the
  // program redirected has reached its destination's send queue: leaving
  // the last map drops what waits in the socket's redirect queue.
  void Remove(uint64_t cookie_a, uint64_t cookie_b);
  // Bytes the program redirected from the source with this cookie so far.
  uint64_t Redirected(uint64_t cookie) const;

  // Process-wide tallies, for fastPathStatus(): flows promoted, and flows
  // demoted because their destination did not keep up.
  static inline std::atomic<uint64_t> promoted{0};
  static inline std::atomic<uint64_t> watchdog_demotions{0};

 private:
  UniqueFd peers_;
  UniqueFd attached_;
  UniqueFd counts_;
  UniqueFd program_;
  std::string error_;
};

// The socket's cookie (SO_COOKIE), 0 when it has none.
uint64_t SocketCookie(int fd);

}  // namespace mmproxy::dataplane
