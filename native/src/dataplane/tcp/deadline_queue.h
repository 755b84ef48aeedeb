// Deadlines for one kind of wait (header, connect). Every flow waits the same
// time, so deadlines arrive in order and a FIFO is a complete timer: O(1) to
// add, no timer per connection. Entries are not removed when a flow moves on;
// the worker checks the flow still waits for exactly that deadline.
#pragma once

#include <cstdint>
#include <deque>

namespace mmproxy::dataplane {

class DeadlineQueue {
 public:
  struct Entry {
    int64_t deadline_ms;
    uint64_t flow_id;
  };

  void Add(int64_t deadline_ms, uint64_t flow_id) { entries_.push_back({deadline_ms, flow_id}); }
  // The earliest deadline, or INT64_MAX when empty.
  int64_t Next() const { return entries_.empty() ? INT64_MAX : entries_.front().deadline_ms; }
  // Pops the next entry due at `now_ms`; false when none is.
  bool PopDue(int64_t now_ms, Entry* out) {
    if (entries_.empty() || entries_.front().deadline_ms > now_ms) return false;
    *out = entries_.front();
    entries_.pop_front();
    return true;
  }
  void Clear() { entries_.clear(); }

 private:
  std::deque<Entry> entries_;
};

}  // namespace mmproxy::dataplane
