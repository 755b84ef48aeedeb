#include "dataplane/binding/worker_pool_addon.h"

#include <algorithm>
#include <system_error>

#include "binding/errors.h"
#include "binding/registry.h"
#include "dataplane/binding/config_from_js.h"
#include "dataplane/binding/config_limits.h"

namespace mmproxy::dataplane {
namespace {

// Marks the objects WorkerPoolWrap made, so that a plane's `pool` option is
// checked to be one (a DataPlane would unwrap too, as the wrong class).
constexpr napi_type_tag kWorkerPoolTag = {0x6d6d70726f787921, 0x776f726b6572706f};

}  // namespace

void WorkerPoolWrap::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function cls = DefineClass(
      env, "WorkerPool",
      {InstanceAccessor<&WorkerPoolWrap::Size>("size"), InstanceMethod<&WorkerPoolWrap::Close>("close")});
  exports.Set("WorkerPool", cls);
}

WorkerPoolWrap* WorkerPoolWrap::From(Napi::Value value) {
  if (!value.IsObject()) return nullptr;
  Napi::Object object = value.As<Napi::Object>();
  if (!object.CheckTypeTag(&kWorkerPoolTag)) return nullptr;
  return Unwrap(object);
}

WorkerPoolWrap::WorkerPoolWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<WorkerPoolWrap>(info) {
  Napi::Env env = info.Env();
  size_ = static_cast<unsigned>(
      IntegerInRange(env, info[0], kListenersLimit, "new WorkerPool(threads): threads"));
  try {
    pool_ = std::make_shared<WorkerPool>(size_);
  } catch (const std::system_error& error) {
    throw SystemError(env, error.what(), error.code().value(), "cannot start the worker pool's threads");
  }
  info.This().As<Napi::Object>().TypeTag(&kWorkerPoolTag);
  napi_add_env_cleanup_hook(env, CleanupHook, this);
  cleanup_hook_ = true;
}

WorkerPoolWrap::~WorkerPoolWrap() { Shutdown(); }

void WorkerPoolWrap::Leave(PoolMember* member) {
  members_.erase(std::remove(members_.begin(), members_.end(), member), members_.end());
}

Napi::Value WorkerPoolWrap::Size(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), size_);
}

Napi::Value WorkerPoolWrap::Close(const Napi::CallbackInfo& info) {
  Shutdown();
  return info.Env().Undefined();
}

void WorkerPoolWrap::CleanupHook(void* self) {
  auto* wrap = static_cast<WorkerPoolWrap*>(self);
  wrap->cleanup_hook_ = false;  // running now: Node drops it afterwards
  wrap->Shutdown();
}

void WorkerPoolWrap::Shutdown() {
  // Each plane leaves the list as it closes.
  while (!members_.empty()) members_.back()->CloseWithPool();
  if (pool_) {
    pool_->Close();
    pool_.reset();
  }
  if (cleanup_hook_) {
    napi_remove_env_cleanup_hook(Env(), CleanupHook, this);
    cleanup_hook_ = false;
  }
}

const RegisterExports registered(WorkerPoolWrap::Init);

}  // namespace mmproxy::dataplane
