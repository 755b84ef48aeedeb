// Running out of descriptors (or memory) is a state of the whole process:
// every worker meets it at once. This decides which worker says so, so that
// the log has one warning however many workers and connections meet it, and
// one line when connections get through again.
#pragma once

#include <atomic>
#include <cstdint>

namespace mmproxy::dataplane {

// EMFILE, ENFILE, ENOBUFS, ENOMEM: the errors that mean "no descriptor or
// memory for a new socket now", which waiting may cure.
bool OutOfResources(int error);

class ResourceExhaustion {
 public:
  // Under lasting exhaustion, workers flap between paused and getting a
  // connection through; one warning (and one "again") per interval is
  // enough for the log.
  static constexpr int64_t kWarningIntervalMs = 10'000;

  // A worker met EMFILE/ENFILE/ENOBUFS/ENOMEM. True for the one caller that
  // should warn: the first to meet it, at most once per interval.
  bool Enter(int64_t now_ms);
  // A connection got both its sockets. True for the one caller that should
  // say so: the first after a warning. One relaxed load when all is well.
  bool Leave();

 private:
  std::atomic<bool> exhausted_{false};
  std::atomic<bool> warned_{false};
  std::atomic<int64_t> next_warning_ms_{0};
};

}  // namespace mmproxy::dataplane
