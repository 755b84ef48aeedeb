#include "dataplane/tcp/fast_path_program.h"

#include <cstddef>
#include <cstdint>
#include <initializer_list>

#include "dataplane/tcp/fast_path.h"

namespace mmproxy::dataplane {
namespace {

// Registers: r1-r5 arguments, r0 result, r6-r9 kept across calls, r10 the frame.
constexpr uint8_t kSkb = 6;
constexpr uint8_t kSlot = 7;
constexpr uint8_t kLength = 8;
constexpr uint8_t kFrame = 10;
// The stack: the cookie at r10 - 8, the slot number at r10 - 16.
constexpr int16_t kCookieAt = -8;
constexpr int16_t kSlotAt = -16;
constexpr int16_t kLenField = offsetof(__sk_buff, len);
constexpr int16_t kRedirectedField = offsetof(FastSlot, redirected);
constexpr int16_t kAlarmField = offsetof(FastSlot, alarm);
constexpr int16_t kModeField = offsetof(FastSlot, mode);
constexpr int16_t kPassedField = offsetof(FastSlot, passed);
constexpr int16_t kDeliveredField = offsetof(FastSlot, delivered);

bpf_insn Insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  bpf_insn insn{};
  insn.code = code;
  insn.dst_reg = dst & 0xf;
  insn.src_reg = src & 0xf;
  insn.off = off;
  insn.imm = imm;
  return insn;
}

class Emitter {
 public:
  void Add(std::initializer_list<bpf_insn> insns) { code_.insert(code_.end(), insns); }
  // reg = the map with this descriptor (a two-slot instruction).
  void LoadMap(uint8_t reg, int fd) {
    Add({Insn(BPF_LD | BPF_DW | BPF_IMM, reg, BPF_PSEUDO_MAP_FD, 0, fd), Insn(0, 0, 0, 0, 0)});
  }
  // reg = r10 + offset: a pointer into the frame.
  void FramePointer(uint8_t reg, int16_t offset) {
    Add({Insn(BPF_ALU64 | BPF_MOV | BPF_X, reg, kFrame, 0, 0),
         Insn(BPF_ALU64 | BPF_ADD | BPF_K, reg, 0, 0, offset)});
  }
  void Call(int helper) { Add({Insn(BPF_JMP | BPF_CALL, 0, 0, 0, helper)}); }
  // if (r0 == 0) return verdict;
  void ReturnIfNull(int verdict) {
    Add({Insn(BPF_JMP | BPF_JNE | BPF_K, 0, 0, 2, 0), Insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, verdict),
         Insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)});
  }
  size_t size() const { return code_.size(); }
  // Points the jump at `from` to the next instruction emitted.
  void LandHere(size_t from) { code_[from].off = static_cast<int16_t>(code_.size() - from - 1); }
  std::vector<bpf_insn> Take() { return std::move(code_); }

 private:
  std::vector<bpf_insn> code_;
};

}  // namespace

std::vector<bpf_insn> FastPathProgram(const FastPathMaps& maps) {
  Emitter e;
  e.Add({
      Insn(BPF_ALU64 | BPF_MOV | BPF_X, kSkb, 1, 0, 0),  // r6 = skb
      Insn(BPF_LDX | BPF_MEM | BPF_W, kLength, kSkb, kLenField, 0),
      Insn(BPF_JMP | BPF_JNE | BPF_K, kLength, 0, 2, 0),  // if (skb->len == 0) return SK_DROP
      Insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, SK_DROP),
      Insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
      Insn(BPF_ALU64 | BPF_MOV | BPF_X, 1, kSkb, 0, 0),
  });
  e.Call(BPF_FUNC_get_socket_cookie);
  e.Add({Insn(BPF_STX | BPF_MEM | BPF_DW, kFrame, 0, kCookieAt, 0)});
  e.LoadMap(1, maps.slot_of);  // slot = slot_of[cookie], or SK_PASS
  e.FramePointer(2, kCookieAt);
  e.Call(BPF_FUNC_map_lookup_elem);
  e.ReturnIfNull(SK_PASS);
  e.Add(
      {Insn(BPF_LDX | BPF_MEM | BPF_W, 1, 0, 0, 0), Insn(BPF_STX | BPF_MEM | BPF_W, kFrame, 1, kSlotAt, 0)});
  e.LoadMap(1, maps.slots);  // r7 = &slots[slot]; in range, as user space gave it
  e.FramePointer(2, kSlotAt);
  e.Call(BPF_FUNC_map_lookup_elem);
  e.ReturnIfNull(SK_PASS);
  e.Add({
      Insn(BPF_ALU64 | BPF_MOV | BPF_X, kSlot, 0, 0, 0),
      Insn(BPF_LDX | BPF_MEM | BPF_DW, 1, kSlot, kModeField, 0),
  });
  size_t passing = e.size();  // if (mode == kPass) pass
  e.Add({Insn(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 0, static_cast<int32_t>(kPass))});
  size_t redirecting = e.size();  // if (mode != kResume) redirect
  e.Add({
      Insn(BPF_JMP | BPF_JNE | BPF_K, 1, 0, 0, static_cast<int32_t>(kResume)),
      Insn(BPF_LDX | BPF_MEM | BPF_DW, 2, kSlot, kPassedField, 0),
      Insn(BPF_LDX | BPF_MEM | BPF_DW, 3, kSlot, kDeliveredField, 0),
  });
  size_t undelivered = e.size();  // if (passed != delivered) pass
  e.Add({
      Insn(BPF_JMP | BPF_JNE | BPF_X, 2, 3, 0, 0),
      Insn(BPF_ST | BPF_MEM | BPF_DW, kSlot, 0, kModeField,
           static_cast<int32_t>(kRedirect)),  // mode = kRedirect, from this skb on
  });
  e.LandHere(redirecting);
  e.Add({
      Insn(BPF_ALU64 | BPF_MOV | BPF_X, 1, kLength, 0, 0),  // r1 = fetch_add(redirected, len) + len
      Insn(BPF_STX | BPF_ATOMIC | BPF_DW, kSlot, 1, kRedirectedField, BPF_ADD | BPF_FETCH),
      Insn(BPF_ALU64 | BPF_ADD | BPF_X, 1, kLength, 0, 0),
      Insn(BPF_LDX | BPF_MEM | BPF_DW, 2, kSlot, kAlarmField, 0),
  });
  size_t below_alarm = e.size();
  e.Add({
      Insn(BPF_JMP | BPF_JLT | BPF_X, 1, 2, 0, 0),     // if (total < alarm) skip
      Insn(BPF_ALU64 | BPF_MOV | BPF_K, 1, 0, 0, -1),  // alarm = kDisarmed (all ones)
      Insn(BPF_STX | BPF_MEM | BPF_DW, kSlot, 1, kAlarmField, 0),
  });
  e.LoadMap(1, maps.alarms);   // bpf_ringbuf_output(alarms, &slot, 4, 0); a full ring loses
  e.FramePointer(2, kSlotAt);  // the alarm, and the worker's tick catches the flow instead
  e.Add({Insn(BPF_ALU64 | BPF_MOV | BPF_K, 3, 0, 0, sizeof(uint32_t)),
         Insn(BPF_ALU64 | BPF_MOV | BPF_K, 4, 0, 0, 0)});
  e.Call(BPF_FUNC_ringbuf_output);
  e.LandHere(below_alarm);
  e.Add({Insn(BPF_ALU64 | BPF_MOV | BPF_X, 1, kSkb, 0,
              0)});  // return bpf_sk_redirect_hash(skb, peers, &cookie, 0)
  e.LoadMap(2, maps.peers);
  e.FramePointer(3, kCookieAt);
  e.Add({Insn(BPF_ALU64 | BPF_MOV | BPF_K, 4, 0, 0, 0)});  // flags 0: out of the peer
  e.Call(BPF_FUNC_sk_redirect_hash);
  e.Add({Insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)});
  e.LandHere(passing);  // passed += len; return SK_PASS
  e.LandHere(undelivered);
  e.Add({
      Insn(BPF_STX | BPF_ATOMIC | BPF_DW, kSlot, kLength, kPassedField, BPF_ADD),
      Insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, SK_PASS),
      Insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
  });
  return e.Take();
}

}  // namespace mmproxy::dataplane
