// Loads the fast path's maps and program with the bpf() syscall (see
// fast_path.h for what they do).
#include "dataplane/tcp/fast_path.h"

#include <linux/bpf.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <initializer_list>
#include <vector>

namespace mmproxy::dataplane {
namespace {

// Two sockets a flow, so 8192 promoted flows per worker at once; past that,
// flows stay on the user-space relay (Insert fails with E2BIG or ENOMEM).
// Each sockhash's buckets cost 16 bytes an entry: 256 KiB per map.
constexpr uint32_t kMaxSockets = 16384;
// The verifier's log, kept only to say why a load failed.
constexpr size_t kLogBytes = 4096;

long Bpf(int command, bpf_attr* attr) { return ::syscall(__NR_bpf, command, attr, sizeof(*attr)); }

std::string Failure(const char* what, int error) {
  std::string text = std::string("bpf(") + what + ") failed: " + strerrorname_np(error);
  if (error == EPERM) text += " (no CAP_BPF and CAP_NET_ADMIN)";
  return text;
}

int CreateMap(bpf_map_type type, uint32_t value_size, uint32_t flags, UniqueFd* map) {
  bpf_attr attr{};
  attr.map_type = type;
  attr.key_size = sizeof(uint64_t);
  attr.value_size = value_size;
  attr.max_entries = kMaxSockets;
  attr.map_flags = flags;
  long fd = Bpf(BPF_MAP_CREATE, &attr);
  if (fd < 0) return errno;
  map->Reset(static_cast<int>(fd));
  return 0;
}

bpf_insn Insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  bpf_insn insn{};
  insn.code = code;
  insn.dst_reg = dst & 0xf;
  insn.src_reg = src & 0xf;
  insn.off = off;
  insn.imm = imm;
  return insn;
}

// The program of fast_path.h. r6 holds the skb; the cookie lives at r10 - 8.
std::vector<bpf_insn> Program(int counts, int peers) {
  constexpr int16_t kLen = offsetof(__sk_buff, len);
  constexpr int16_t kCookieSlot = -8;
  std::vector<bpf_insn> code;
  auto emit = [&code](std::initializer_list<bpf_insn> insns) {
    for (const bpf_insn& insn : insns) code.push_back(insn);
  };
  auto load_map = [&emit](uint8_t reg, int fd) {
    emit({Insn(BPF_LD | BPF_DW | BPF_IMM, reg, BPF_PSEUDO_MAP_FD, 0, fd), Insn(0, 0, 0, 0, 0)});
  };
  emit({
      Insn(BPF_ALU64 | BPF_MOV | BPF_X, 6, 1, 0, 0),   // r6 = skb
      Insn(BPF_LDX | BPF_MEM | BPF_W, 2, 6, kLen, 0),  // if (skb->len == 0) return SK_DROP
      Insn(BPF_JMP | BPF_JNE | BPF_K, 2, 0, 2, 0),
      Insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, SK_DROP),
      Insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
      Insn(BPF_ALU64 | BPF_MOV | BPF_X, 1, 6, 0, 0),  // cookie = bpf_get_socket_cookie(skb)
      Insn(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_get_socket_cookie),
      Insn(BPF_STX | BPF_MEM | BPF_DW, 10, 0, kCookieSlot, 0),
  });
  load_map(1, counts);  // if (!(count = counts[cookie])) return SK_PASS
  emit({
      Insn(BPF_ALU64 | BPF_MOV | BPF_X, 2, 10, 0, 0),
      Insn(BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, kCookieSlot),
      Insn(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem),
      Insn(BPF_JMP | BPF_JNE | BPF_K, 0, 0, 2, 0),
      Insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, SK_PASS),
      Insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
      Insn(BPF_LDX | BPF_MEM | BPF_W, 1, 6, kLen, 0),  // *count += skb->len
      Insn(BPF_STX | BPF_ATOMIC | BPF_DW, 0, 1, 0, BPF_ADD),
      Insn(BPF_ALU64 | BPF_MOV | BPF_X, 1, 6, 0, 0),
  });
  load_map(2, peers);  // return bpf_sk_redirect_hash(skb, peers, &cookie, 0)
  emit({
      Insn(BPF_ALU64 | BPF_MOV | BPF_X, 3, 10, 0, 0),
      Insn(BPF_ALU64 | BPF_ADD | BPF_K, 3, 0, 0, kCookieSlot),
      Insn(BPF_ALU64 | BPF_MOV | BPF_K, 4, 0, 0, 0),  // flags 0: out of dst
      Insn(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_sk_redirect_hash),
      Insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
  });
  return code;
}

int UpdateElem(int map, uint64_t key, const void* value, uint64_t flags) {
  bpf_attr attr{};
  attr.map_fd = static_cast<uint32_t>(map);
  attr.key = reinterpret_cast<uint64_t>(&key);
  attr.value = reinterpret_cast<uint64_t>(value);
  attr.flags = flags;
  return Bpf(BPF_MAP_UPDATE_ELEM, &attr) == 0 ? 0 : errno;
}

void DeleteElem(int map, uint64_t key) {
  bpf_attr attr{};
  attr.map_fd = static_cast<uint32_t>(map);
  attr.key = reinterpret_cast<uint64_t>(&key);
  // ENOENT: never inserted (a failed Insert already undid its part).
  Bpf(BPF_MAP_DELETE_ELEM, &attr);
}

}  // namespace

FastPath::FastPath() {
  if (int error = CreateMap(BPF_MAP_TYPE_SOCKHASH, sizeof(uint32_t), 0, &peers_); error != 0) {
    error_ = Failure("BPF_MAP_CREATE", error);
    return;
  }
  if (int error = CreateMap(BPF_MAP_TYPE_SOCKHASH, sizeof(uint32_t), 0, &attached_); error != 0) {
    error_ = Failure("BPF_MAP_CREATE", error);
    return;
  }
  // Not preallocated: a value per promoted socket, not per possible one.
  if (int error = CreateMap(BPF_MAP_TYPE_HASH, sizeof(uint64_t), BPF_F_NO_PREALLOC, &counts_); error != 0) {
    error_ = Failure("BPF_MAP_CREATE", error);
    return;
  }
  std::vector<bpf_insn> code = Program(counts_.get(), peers_.get());
  std::vector<char> log(kLogBytes);
  // GPL-compatible: bpf_sk_redirect_hash and its kin are GPL-only helpers.
  static const char kLicense[] = "Dual MIT/GPL";
  bpf_attr attr{};
  attr.prog_type = BPF_PROG_TYPE_SK_SKB;
  attr.insns = reinterpret_cast<uint64_t>(code.data());
  attr.insn_cnt = static_cast<uint32_t>(code.size());
  attr.license = reinterpret_cast<uint64_t>(kLicense);
  attr.log_buf = reinterpret_cast<uint64_t>(log.data());
  attr.log_size = static_cast<uint32_t>(log.size());
  attr.log_level = 1;
  long fd = Bpf(BPF_PROG_LOAD, &attr);
  if (fd < 0) {
    int error = errno;
    error_ = Failure("BPF_PROG_LOAD", error);
    log.back() = '\0';
    if (log[0] != '\0') error_ += std::string(": ") + log.data();
    return;
  }
  program_.Reset(static_cast<int>(fd));
  bpf_attr attach{};
  attach.target_fd = static_cast<uint32_t>(attached_.get());
  attach.attach_bpf_fd = static_cast<uint32_t>(program_.get());
  attach.attach_type = BPF_SK_SKB_STREAM_VERDICT;
  if (Bpf(BPF_PROG_ATTACH, &attach) != 0) error_ = Failure("BPF_PROG_ATTACH", errno);
}

int FastPath::Insert(int a, uint64_t cookie_a, int b, uint64_t cookie_b) {
  uint64_t zero = 0;
  uint32_t fd_a = static_cast<uint32_t>(a);
  uint32_t fd_b = static_cast<uint32_t>(b);
  int error = 0;
  // Counts and peers first: each socket is a redirect target before either
  // socket runs the program (fast_path.h).
  if ((error = UpdateElem(counts_.get(), cookie_a, &zero, BPF_NOEXIST)) == 0 &&
      (error = UpdateElem(counts_.get(), cookie_b, &zero, BPF_NOEXIST)) == 0 &&
      (error = UpdateElem(peers_.get(), cookie_a, &fd_b, BPF_NOEXIST)) == 0 &&
      (error = UpdateElem(peers_.get(), cookie_b, &fd_a, BPF_NOEXIST)) == 0 &&
      (error = UpdateElem(attached_.get(), cookie_a, &fd_a, BPF_NOEXIST)) == 0) {
    error = UpdateElem(attached_.get(), cookie_b, &fd_b, BPF_NOEXIST);
  }
  if (error != 0) {
    Detach(cookie_a, cookie_b);
    Remove(cookie_a, cookie_b);
  }
  return error;
}

void FastPath::Detach(uint64_t cookie_a, uint64_t cookie_b) {
  DeleteElem(attached_.get(), cookie_a);
  DeleteElem(attached_.get(), cookie_b);
}

void FastPath::Remove(uint64_t cookie_a, uint64_t cookie_b) {
  for (uint64_t cookie : {cookie_a, cookie_b}) {
    DeleteElem(peers_.get(), cookie);
    DeleteElem(counts_.get(), cookie);
  }
}

uint64_t FastPath::Redirected(uint64_t cookie) const {
  uint64_t count = 0;
  bpf_attr attr{};
  attr.map_fd = static_cast<uint32_t>(counts_.get());
  attr.key = reinterpret_cast<uint64_t>(&cookie);
  attr.value = reinterpret_cast<uint64_t>(&count);
  // Only asked for flows in the maps: a failure leaves 0.
  Bpf(BPF_MAP_LOOKUP_ELEM, &attr);
  return count;
}

uint64_t SocketCookie(int fd) {
  uint64_t cookie = 0;
  socklen_t length = sizeof(cookie);
  if (::getsockopt(fd, SOL_SOCKET, SO_COOKIE, &cookie, &length) != 0) return 0;
  return cookie;
}

}  // namespace mmproxy::dataplane
