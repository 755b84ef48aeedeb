// fastPathStatus(): whether this process can run the in-kernel fast path
// (tcp/fast_path.h), by loading it once and closing it, and why not.
// The proxy asks once at start, to say which it runs; tests read the
// process's tallies (flows promoted, watchdog demotions).
#include <napi.h>

#include "binding/registry.h"
#include "dataplane/tcp/fast_path.h"

namespace mmproxy::dataplane {
namespace {

Napi::Value FastPathStatus(const Napi::CallbackInfo& info) {
  // A trial load, closed again: the workers load their own.
  const FastPath trial;
  Napi::Object status = Napi::Object::New(info.Env());
  status.Set("available", trial.ok());
  status.Set("reason", trial.error());
  status.Set("promoted", static_cast<double>(FastPath::promoted.load(std::memory_order_relaxed)));
  status.Set("watchdogDemotions",
             static_cast<double>(FastPath::watchdog_demotions.load(std::memory_order_relaxed)));
  status.Set("resumed", static_cast<double>(FastPath::resumed.load(std::memory_order_relaxed)));
  return status;
}

void InitFastPathStatus(Napi::Env env, Napi::Object exports) {
  exports.Set("fastPathStatus", Napi::Function::New(env, FastPathStatus, "fastPathStatus"));
}

const RegisterExports registered(InitFastPathStatus);

}  // namespace
}  // namespace mmproxy::dataplane
