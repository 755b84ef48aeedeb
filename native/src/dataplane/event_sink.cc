#include "dataplane/event_sink.h"

namespace mmproxy::dataplane {
namespace {

// Batches waiting for the JavaScript thread; each holds up to ~50 ms of one
// worker's events, so this is several seconds of backlog before dropping.
constexpr size_t kMaxQueuedBatches = 256;

const char* LevelName(Level level) {
  switch (level) {
    case Level::kError: return "error";
    case Level::kWarn: return "warn";
    case Level::kInfo: return "info";
    case Level::kDebug: return "debug";
  }
  return "info";
}

Napi::Object EndpointObject(Napi::Env env, const Address& address) {
  Napi::Object endpoint = Napi::Object::New(env);
  endpoint.Set("family", address.is_v4() ? 4 : 6);
  endpoint.Set("address", address.ip());
  endpoint.Set("port", address.port());
  return endpoint;
}

Napi::Object EventObject(Napi::Env env, const Event& event) {
  Napi::Object object = Napi::Object::New(env);
  object.Set("level", LevelName(event.level));
  object.Set("kind", event.kind);
  object.Set("message", event.message);
  if (event.flow_id != 0) object.Set("flowId", static_cast<double>(event.flow_id));
  if (event.load_balancer) object.Set("loadBalancer", EndpointObject(env, *event.load_balancer));
  if (event.client) object.Set("client", EndpointObject(env, *event.client));
  if (event.target) object.Set("target", EndpointObject(env, *event.target));
  if (!event.code.empty()) object.Set("code", event.code);
  if (event.bytes_to_target) object.Set("bytesToTarget", static_cast<double>(*event.bytes_to_target));
  if (event.bytes_to_client) object.Set("bytesToClient", static_cast<double>(*event.bytes_to_client));
  if (event.duration_ms) object.Set("durationMs", static_cast<double>(*event.duration_ms));
  return object;
}

void Deliver(Napi::Env env, Napi::Function callback, EventBatch* raw) {
  std::unique_ptr<EventBatch> batch(raw);
  // env is null when the environment is shutting down: drop quietly.
  if (env == nullptr || callback.IsEmpty()) return;
  Napi::Array events = Napi::Array::New(env, batch->size());
  for (size_t i = 0; i < batch->size(); ++i) events.Set(i, EventObject(env, (*batch)[i]));
  try {
    callback.Call({events});
  } catch (const Napi::Error& error) {
    // A throwing listener is the application's bug: surface it as an
    // uncaught exception rather than unwinding through Node's internals.
    error.ThrowAsJavaScriptException();
  }
}

}  // namespace

EventSink::EventSink(Napi::Env env, Napi::Function on_events)
    : tsfn_(Napi::ThreadSafeFunction::New(env, on_events, "mmproxy-dataplane-events",
                                          kMaxQueuedBatches, 1)) {}

EventSink::~EventSink() { Release(); }

bool EventSink::Post(EventBatch batch) {
  auto owned = std::make_unique<EventBatch>(std::move(batch));
  napi_status status = tsfn_.NonBlockingCall(owned.get(), Deliver);
  if (status != napi_ok) return false;
  owned.release();  // Deliver owns it now
  return true;
}

void EventSink::Release() {
  if (released_) return;
  released_ = true;
  tsfn_.Release();
}

}  // namespace mmproxy::dataplane
