/* A 1 µs-resolution latency histogram: exact enough for p50/p99 on loopback
 * and constant-time to record on the hot path. */
#include "bench.h"

void histogram_record(struct histogram *h, uint64_t elapsed_ns) {
  uint64_t us = elapsed_ns / NS_PER_US;
  h->buckets[us > HIST_MAX_US ? HIST_MAX_US : us]++;
  h->count++;
}

uint64_t histogram_quantile_us(const struct histogram *h, double q) {
  uint64_t rank = (uint64_t)(q * (double)h->count);
  uint64_t seen = 0;
  if (h->count == 0) return 0;
  for (uint32_t us = 0; us <= HIST_MAX_US; us++) {
    seen += h->buckets[us];
    if (seen > rank) return us;
  }
  return HIST_MAX_US;
}
