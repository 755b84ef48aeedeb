// Loads the fast path's maps and program with the bpf() syscall, and reads
// its slots and alarms through shared mappings (see fast_path.h).
#include "dataplane/tcp/fast_path.h"

#include <linux/bpf.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>

#include "dataplane/tcp/fast_path_program.h"

namespace mmproxy::dataplane {
namespace {

// Two sockets a flow, so 8192 promoted flows per worker at once; past that,
// flows stay on the user-space relay (Insert fails with E2BIG). Each
// sockhash's buckets cost 16 bytes an entry (256 KiB per map), the slots 40
// bytes each (640 KiB, mapped here too).
constexpr uint32_t kMaxSockets = 16384;
// 16-byte records (header and slot number): 4096 alarms unread before the
// program's output fails, which the worker's tick then stands in for.
constexpr uint32_t kAlarmRingBytes = 64 * 1024;
// The verifier's log, kept only to say why a load failed.
constexpr size_t kLogBytes = 4096;

long Bpf(int command, bpf_attr* attr) { return ::syscall(__NR_bpf, command, attr, sizeof(*attr)); }

std::string Failure(const char* what, int error) {
  std::string text = std::string("bpf(") + what + ") failed: " + strerrorname_np(error);
  if (error == EPERM) text += " (no CAP_BPF and CAP_NET_ADMIN)";
  return text;
}

int CreateMap(bpf_map_type type, uint32_t key_size, uint32_t value_size, uint32_t max_entries, uint32_t flags,
              UniqueFd* map) {
  bpf_attr attr{};
  attr.map_type = type;
  attr.key_size = key_size;
  attr.value_size = value_size;
  attr.max_entries = max_entries;
  attr.map_flags = flags;
  long fd = Bpf(BPF_MAP_CREATE, &attr);
  if (fd < 0) return errno;
  map->Reset(static_cast<int>(fd));
  return 0;
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
  // ENOENT: never inserted, or deleted already.
  Bpf(BPF_MAP_DELETE_ELEM, &attr);
}

size_t PageBytes() { return static_cast<size_t>(::sysconf(_SC_PAGESIZE)); }

// The oldest kernel whose sockmap counts the bytes a program passes to its
// socket's own queue right (6.4, "bpf: sockmap, incorrectly handling
// copied_seq": FIONREAD, window updates). Taking a flow back relies on it
// (fast_path.h); tested on 6.18. Empty when the running kernel is as new.
std::string KernelTooOld() {
  constexpr int kMajor = 6;
  constexpr int kMinor = 4;
  utsname names{};
  int major = 0;
  int minor = 0;
  if (::uname(&names) != 0 || std::sscanf(names.release, "%d.%d", &major, &minor) != 2) {
    return "cannot read the kernel's version (uname)";
  }
  if (major > kMajor || (major == kMajor && minor >= kMinor)) return {};
  return std::string("kernel ") + names.release +
         " is older than 6.4, whose sockmap counts passed bytes right";
}

}  // namespace

FastPath::FastPath() {
  if (error_ = KernelTooOld(); !error_.empty()) return;
  struct MapSpec {
    UniqueFd* map;
    bpf_map_type type;
    uint32_t key_size, value_size, max_entries, flags;
  };
  const MapSpec specs[] = {
      {&peers_, BPF_MAP_TYPE_SOCKHASH, sizeof(uint64_t), sizeof(uint32_t), kMaxSockets, 0},
      {&attached_, BPF_MAP_TYPE_SOCKHASH, sizeof(uint64_t), sizeof(uint32_t), kMaxSockets, 0},
      // Not preallocated: an entry per promoted socket, not per possible one.
      {&slot_of_, BPF_MAP_TYPE_HASH, sizeof(uint64_t), sizeof(uint32_t), kMaxSockets, BPF_F_NO_PREALLOC},
      {&slots_, BPF_MAP_TYPE_ARRAY, sizeof(uint32_t), sizeof(FastSlot), kMaxSockets, BPF_F_MMAPABLE},
      {&alarms_, BPF_MAP_TYPE_RINGBUF, 0, 0, kAlarmRingBytes, 0},
  };
  for (const MapSpec& spec : specs) {
    if (int error =
            CreateMap(spec.type, spec.key_size, spec.value_size, spec.max_entries, spec.flags, spec.map);
        error != 0) {
      error_ = Failure("BPF_MAP_CREATE", error);
      return;
    }
  }
  slot_memory_ = Mapping(slots_.get(), sizeof(FastSlot) * kMaxSockets, PROT_READ | PROT_WRITE, 0);
  if (!slot_memory_.valid() || !MapAlarms()) {
    error_ = std::string("mmap of a BPF map failed: ") + strerrorname_np(errno);
    return;
  }
  std::vector<bpf_insn> code = FastPathProgram({slot_of_.get(), slots_.get(), alarms_.get(), peers_.get()});
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
  if (Bpf(BPF_PROG_ATTACH, &attach) != 0) {
    error_ = Failure("BPF_PROG_ATTACH", errno);
    return;
  }
  free_slots_.reserve(kMaxSockets);
  for (uint32_t slot = kMaxSockets; slot > 0; --slot) free_slots_.push_back(slot - 1);
}

// The ring buffer's layout (kernel/bpf/ringbuf.c): a page with the consumer
// position (the reader's to write), a page with the producer position, then
// the data, mapped twice in a row so that a record never wraps.
bool FastPath::MapAlarms() {
  size_t page = PageBytes();
  alarm_consumer_ = Mapping(alarms_.get(), page, PROT_READ | PROT_WRITE, 0);
  alarm_producer_ = Mapping(alarms_.get(), page + 2 * kAlarmRingBytes, PROT_READ, static_cast<off_t>(page));
  return alarm_consumer_.valid() && alarm_producer_.valid();
}

void FastPath::TakeAlarms(std::vector<uint32_t>* slots) {
  auto* consumer = static_cast<uint64_t*>(alarm_consumer_.get());
  auto* producer = static_cast<const uint64_t*>(alarm_producer_.get());
  const auto* data = static_cast<const uint8_t*>(alarm_producer_.get()) + PageBytes();
  uint64_t position = __atomic_load_n(consumer, __ATOMIC_ACQUIRE);
  uint64_t end = __atomic_load_n(producer, __ATOMIC_ACQUIRE);
  while (position < end) {
    const uint8_t* record = data + (position & (kAlarmRingBytes - 1));
    uint32_t header = __atomic_load_n(reinterpret_cast<const uint32_t*>(record), __ATOMIC_ACQUIRE);
    if (header & BPF_RINGBUF_BUSY_BIT) break;  // still being written: the fd stays readable
    uint32_t length = header & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);
    if (!(header & BPF_RINGBUF_DISCARD_BIT) && length >= sizeof(uint32_t)) {
      uint32_t slot = 0;
      std::memcpy(&slot, record + BPF_RINGBUF_HDR_SZ, sizeof(slot));
      if (slot < kMaxSockets) slots->push_back(slot);
    }
    position += (BPF_RINGBUF_HDR_SZ + length + 7) & ~uint64_t{7};
    __atomic_store_n(consumer, position, __ATOMIC_RELEASE);
  }
}

FastPath::Inserted FastPath::Insert(int a, uint64_t cookie_a, int b, uint64_t cookie_b, uint64_t alarm,
                                    uint32_t slots[2]) {
  Inserted result;
  if (free_slots_.size() < 2 || attached_sockets_ + 2 > static_cast<int>(kMaxSockets)) {
    result.error = E2BIG;
    return result;
  }
  for (int i = 0; i < 2; ++i) {
    slots[i] = free_slots_.back();
    free_slots_.pop_back();
    FastSlot& fresh = Slot(slots[i]);
    __atomic_store_n(&fresh.redirected, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&fresh.passed, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&fresh.delivered, 0, __ATOMIC_RELAXED);
    SetMode(slots[i], kRedirect);
    Arm(slots[i], alarm);
  }
  uint32_t fd_a = static_cast<uint32_t>(a);
  uint32_t fd_b = static_cast<uint32_t>(b);
  // Slots and peers first: each socket is a redirect target before either
  // socket runs the program (fast_path.h).
  int& error = result.error;
  if ((error = UpdateElem(slot_of_.get(), cookie_a, &slots[0], BPF_NOEXIST)) == 0 &&
      (error = UpdateElem(slot_of_.get(), cookie_b, &slots[1], BPF_NOEXIST)) == 0 &&
      (error = UpdateElem(peers_.get(), cookie_a, &fd_b, BPF_NOEXIST)) == 0 &&
      (error = UpdateElem(peers_.get(), cookie_b, &fd_a, BPF_NOEXIST)) == 0 &&
      (error = UpdateElem(attached_.get(), cookie_a, &fd_a, BPF_NOEXIST)) == 0) {
    result.attached = 1;
    error = UpdateElem(attached_.get(), cookie_b, &fd_b, BPF_NOEXIST);
    if (error == 0) result.attached = 2;
  }
  attached_sockets_ += result.attached;
  // Nothing attached: no program ran, so nothing needs waiting for. One
  // attached: the caller demotes the flow, which frees the rest.
  if (error != 0 && result.attached == 0) Remove(cookie_a, cookie_b, slots);
  return result;
}

void FastPath::Pass(uint64_t cookie_a, uint64_t cookie_b) {
  DeleteElem(slot_of_.get(), cookie_a);
  DeleteElem(slot_of_.get(), cookie_b);
}

void FastPath::Remove(uint64_t cookie_a, uint64_t cookie_b, const uint32_t slots[2]) {
  for (uint64_t cookie : {cookie_a, cookie_b}) {
    DeleteElem(peers_.get(), cookie);
    DeleteElem(slot_of_.get(), cookie);
  }
  // No program run is left that could use them: no socket has a slot_of
  // entry naming them, and the caller waited out any run that looked one up
  // (an alarm still in the ring names a free slot, which the worker ignores).
  for (int i = 0; i < 2; ++i) {
    Arm(slots[i], kDisarmed);
    free_slots_.push_back(slots[i]);
  }
}

uint64_t SocketCookie(int fd) {
  uint64_t cookie = 0;
  socklen_t length = sizeof(cookie);
  if (::getsockopt(fd, SOL_SOCKET, SO_COOKIE, &cookie, &length) != 0) return 0;
  return cookie;
}

}  // namespace mmproxy::dataplane
