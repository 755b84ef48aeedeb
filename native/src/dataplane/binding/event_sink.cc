#include "dataplane/binding/event_sink.h"

#include "dataplane/binding/js_values.h"

namespace mmproxy::dataplane {
namespace {

// Batches waiting for the JavaScript thread; each holds up to ~50 ms of one
// worker's events, so this is several seconds of backlog before dropping.
constexpr size_t kMaxQueuedBatches = 256;

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
    : tsfn_(Napi::ThreadSafeFunction::New(env, on_events, "mmproxy-dataplane-events", kMaxQueuedBatches, 1)) {
}

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
