// The fast path's sk_skb stream-verdict program, assembled by hand (no clang
// or libbpf at run time). In C, over the maps of fast_path.h:
//
//   if (skb->len == 0) return SK_DROP;          // a bare FIN: user space passes it on
//   cookie = bpf_get_socket_cookie(skb);
//   if (!(slot = slot_of[cookie])) return SK_PASS;  // not promoted: never so
//   total = atomic_fetch_add(&slots[*slot].redirected, skb->len) + skb->len;
//   if (total >= slots[*slot].alarm) {           // the backlog passed its bound
//     slots[*slot].alarm = kDisarmed;            // once, until user space re-arms
//     bpf_ringbuf_output(alarms, slot, 4, 0);    // wakes the worker
//   }
//   return bpf_sk_redirect_hash(skb, peers, &cookie, 0);  // out of the peer
#pragma once

#include <linux/bpf.h>

#include <vector>

namespace mmproxy::dataplane {

struct FastPathMaps {
  int slot_of;  // hash: cookie -> slot
  int slots;    // array of FastSlot
  int alarms;   // ring buffer of slots
  int peers;    // sockhash: cookie -> destination
};

std::vector<bpf_insn> FastPathProgram(const FastPathMaps& maps);

}  // namespace mmproxy::dataplane
