#include "dataplane/shared/counters.h"

#include <algorithm>

namespace mmproxy::dataplane {

const char* FailureLabel(Failure failure) {
  static constexpr const char* kLabels[] = {
#define MMPROXY_FAILURE_LABEL(name, label) label,
      MMPROXY_FAILURES(MMPROXY_FAILURE_LABEL)
#undef MMPROXY_FAILURE_LABEL
  };
  return kLabels[static_cast<size_t>(failure)];
}

void WorkerCounters::AddTo(CounterTotals* totals) const {
  auto load = [](const Counter& counter) { return counter.load(std::memory_order_relaxed); };
  totals->accepted += load(accepted);
  totals->established += load(established);
  totals->completed += load(completed);
  totals->local_headers += load(local_headers);
  totals->bytes_to_target += load(bytes_to_target);
  totals->bytes_to_client += load(bytes_to_client);
  totals->accept_errors += load(accept_errors);
  totals->events_dropped += load(events_dropped);
  totals->sessions_evicted += load(sessions_evicted);
  totals->datagrams_dropped += load(datagrams_dropped);
  totals->collision_fallbacks += load(collision_fallbacks);
  udp_headers.AddTo(&totals->udp_headers);
  for (size_t i = 0; i < kFailureCount; ++i) totals->failures[i] += load(failures[i]);
  for (size_t i = 0; i < bad_headers.size(); ++i) totals->bad_headers[i] += load(bad_headers[i]);
  connect_durations.AddTo(&totals->connect_durations);
}

void UdpHeaderCounters::AddTo(UdpHeaderTotals* totals) const {
  auto load = [](const Counter& counter) { return counter.load(std::memory_order_relaxed); };
  totals->proxy_v2 += load(proxy_v2);
  totals->spp += load(spp);
  totals->bare += load(bare);
  totals->spp_sessions += load(spp_sessions);
  totals->header_changes += load(header_changes);
}

void ConnectDurations::Observe(uint64_t duration_us) {
  // The first bound not below the duration; past the last one, +Inf.
  auto bound = std::lower_bound(kConnectBucketBoundsUs.begin(), kConnectBucketBoundsUs.end(), duration_us);
  Bump(buckets[static_cast<size_t>(bound - kConnectBucketBoundsUs.begin())]);
  Bump(sum_us, duration_us);
}

void ConnectDurations::AddTo(ConnectDurationTotals* totals) const {
  for (size_t i = 0; i < kConnectBucketCount; ++i) {
    totals->buckets[i] += buckets[i].load(std::memory_order_relaxed);
  }
  totals->sum_us += sum_us.load(std::memory_order_relaxed);
}

const char* BadHeaderCode(size_t index) {
  if (index == kTruncatedHeaderSlot) return kTruncatedHeaderCode;
  if (index == kV1OverUdpSlot) return kV1OverUdpCode;
  if (index == kWrongTransportSlot) return kWrongTransportCode;
  if (index == kClientNotUnicastSlot) return kClientNotUnicastCode;
  if (index == kNotSppSlot) return kNotSppCode;
  if (index == kHeaderlessSlot) return kHeaderlessCode;
  if (index == kHeaderChangedSlot) return kHeaderChangedCode;
  return pp::ErrorCodeName(static_cast<pp::ErrorCode>(index));
}

}  // namespace mmproxy::dataplane
