// Millisecond clocks: steady for deadlines and durations, wall for what
// people read (FlowRecord.startedAtMs). Microseconds for what is shorter
// than a loop turn (an upstream connect over loopback).
#pragma once

#include <chrono>
#include <cstdint>

namespace mmproxy::dataplane {

inline int64_t SteadyMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

inline int64_t SteadyUs() {
  using namespace std::chrono;
  return duration_cast<microseconds>(steady_clock::now().time_since_epoch()).count();
}

inline int64_t WallMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace mmproxy::dataplane
