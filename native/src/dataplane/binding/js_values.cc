#include "dataplane/binding/js_values.h"

namespace mmproxy::dataplane {
namespace {

// Counts and byte totals go out as doubles: exact up to 2^53.
double Number(uint64_t value) { return static_cast<double>(value); }

// ConnectDurations: bounds in ms, counts per bucket (not cumulative).
Napi::Object ConnectDurationsObject(Napi::Env env, const ConnectDurationTotals& totals) {
  constexpr double kMicrosPerMilli = 1e3;
  constexpr double kMicrosPerSecond = 1e6;
  Napi::Array bounds = Napi::Array::New(env, kConnectBucketBoundsUs.size());
  for (size_t i = 0; i < kConnectBucketBoundsUs.size(); ++i) {
    bounds.Set(static_cast<uint32_t>(i), static_cast<double>(kConnectBucketBoundsUs[i]) / kMicrosPerMilli);
  }
  Napi::Array counts = Napi::Array::New(env, kConnectBucketCount);
  uint64_t count = 0;
  for (size_t i = 0; i < kConnectBucketCount; ++i) {
    counts.Set(static_cast<uint32_t>(i), Number(totals.buckets[i]));
    count += totals.buckets[i];
  }
  Napi::Object object = Napi::Object::New(env);
  object.Set("boundsMs", bounds);
  object.Set("counts", counts);
  object.Set("count", Number(count));
  object.Set("sumSeconds", static_cast<double>(totals.sum_us) / kMicrosPerSecond);
  return object;
}

// The datagrams by the header in front of them, and what --udp-header
// refused: headerlessDropped is the ERR_HEADERLESS_NO_SESSION count, here
// beside the others of its kind.
Napi::Object UdpHeadersObject(Napi::Env env, const CounterTotals& totals) {
  const UdpHeaderTotals& udp = totals.udp_headers;
  Napi::Object datagrams = Napi::Object::New(env);
  datagrams.Set("proxyV2", Number(udp.proxy_v2));
  datagrams.Set("spp", Number(udp.spp));
  datagrams.Set("bare", Number(udp.bare));
  Napi::Object object = Napi::Object::New(env);
  object.Set("datagrams", datagrams);
  object.Set("headerlessDropped", Number(totals.bad_headers[kHeaderlessSlot]));
  object.Set("sppSessions", Number(udp.spp_sessions));
  object.Set("headerChanges", Number(udp.header_changes));
  return object;
}

}  // namespace

Napi::Value EndpointValue(Napi::Env env, const std::optional<Address>& address) {
  if (!address) return env.Null();
  Napi::Object endpoint = Napi::Object::New(env);
  endpoint.Set("family", address->is_v4() ? 4 : 6);
  endpoint.Set("address", address->ip());
  endpoint.Set("port", address->port());
  return endpoint;
}

Napi::Object FlowObject(Napi::Env env, const FlowSnapshot& flow) {
  Napi::Object object = Napi::Object::New(env);
  object.Set("id", Number(flow.id));
  object.Set("worker", flow.worker);
  object.Set("protocol", flow.udp ? "udp" : "tcp");
  object.Set("state", kFlowStateNames(flow.state));
  object.Set("loadBalancer", EndpointValue(env, flow.load_balancer));
  object.Set("client", EndpointValue(env, flow.client));
  object.Set("target", EndpointValue(env, flow.target));
  object.Set("startedAtMs", static_cast<double>(flow.started_at_ms));
  object.Set("bytesToTarget", Number(flow.bytes_to_target));
  object.Set("bytesToClient", Number(flow.bytes_to_client));
  return object;
}

Napi::Object CountersObject(Napi::Env env, const CounterTotals& totals, int64_t active) {
  Napi::Object object = Napi::Object::New(env);
  object.Set("accepted", Number(totals.accepted));
  object.Set("established", Number(totals.established));
  object.Set("active", static_cast<double>(active));
  object.Set("completed", Number(totals.completed));
  object.Set("localHeaders", Number(totals.local_headers));
  Napi::Object failures = Napi::Object::New(env);
  for (size_t i = 0; i < kFailureCount; ++i) {
    failures.Set(FailureLabel(static_cast<Failure>(i)), Number(totals.failures[i]));
  }
  object.Set("failures", failures);
  Napi::Object bad_headers = Napi::Object::New(env);
  for (size_t i = 0; i < totals.bad_headers.size(); ++i) {
    if (totals.bad_headers[i] != 0) bad_headers.Set(BadHeaderCode(i), Number(totals.bad_headers[i]));
  }
  object.Set("badHeaders", bad_headers);
  object.Set("bytesToTarget", Number(totals.bytes_to_target));
  object.Set("bytesToClient", Number(totals.bytes_to_client));
  object.Set("acceptErrors", Number(totals.accept_errors));
  object.Set("eventsDropped", Number(totals.events_dropped));
  object.Set("connectDurations", ConnectDurationsObject(env, totals.connect_durations));
  object.Set("sessionsEvicted", Number(totals.sessions_evicted));
  object.Set("datagramsDropped", Number(totals.datagrams_dropped));
  object.Set("collisionFallbacks", Number(totals.collision_fallbacks));
  object.Set("udpHeaders", UdpHeadersObject(env, totals));
  return object;
}

Napi::Object EventObject(Napi::Env env, const Event& event) {
  Napi::Object object = Napi::Object::New(env);
  object.Set("level", kLevelNames(event.level));
  object.Set("kind", event.kind);
  object.Set("message", event.message);
  if (event.flow_id != 0) object.Set("flowId", Number(event.flow_id));
  if (event.load_balancer) object.Set("loadBalancer", EndpointValue(env, event.load_balancer));
  if (event.client) object.Set("client", EndpointValue(env, event.client));
  if (event.target) object.Set("target", EndpointValue(env, event.target));
  if (!event.code.empty()) object.Set("code", event.code);
  if (event.bytes_to_target) object.Set("bytesToTarget", Number(*event.bytes_to_target));
  if (event.bytes_to_client) object.Set("bytesToClient", Number(*event.bytes_to_client));
  if (event.duration_ms) object.Set("durationMs", Number(*event.duration_ms));
  return object;
}

}  // namespace mmproxy::dataplane
