// The DataPlane class JavaScript sees (src/native/dataplane-types.ts): an
// ObjectWrap owning one worker (a client) on each thread of its pool, shared
// (options.pool) or private (`listeners` threads of its own). close(), the
// destructor, the environment's cleanup hook and the pool's close() all
// detach the workers (closing their flows), then release the
// ThreadSafeFunction; a private pool's threads are joined with them.
#include <napi.h>

#include <cerrno>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "binding/errors.h"
#include "binding/registry.h"
#include "dataplane/binding/config_from_js.h"
#include "dataplane/binding/event_sink.h"
#include "dataplane/binding/js_values.h"
#include "dataplane/binding/plane_listeners.h"
#include "dataplane/binding/worker_pool_addon.h"
#include "dataplane/shared/flow_registry.h"
#include "dataplane/shared/shared_state.h"
#include "dataplane/shared/worker_pool.h"
#include "dataplane/tcp/worker.h"
#include "dataplane/udp/udp_worker.h"

namespace mmproxy::dataplane {
namespace {

// Marks the objects DataPlane made, so that adoptListenersFrom is checked to
// be one (a WorkerPool would unwrap too, as the wrong class).
constexpr napi_type_tag kDataPlaneTag = {0x6d6d70726f787921, 0x64617461706c616e};

std::shared_ptr<const SubnetList> ParseSubnets(Napi::Env env, const std::vector<std::string>& cidrs) {
  auto list = std::make_shared<SubnetList>();
  std::string bad;
  if (!SubnetList::Parse(cidrs, list.get(), &bad)) {
    throw InvalidArgValue(env, "allowed subnet '" + bad + "' is not a CIDR prefix");
  }
  return list;
}

class DataPlane : public Napi::ObjectWrap<DataPlane>, public PoolMember {
 public:
  static void Init(Napi::Env env, Napi::Object exports) {
    Napi::Function cls =
        DefineClass(env, "DataPlane",
                    {InstanceMethod<&DataPlane::Start>("start"),
                     InstanceMethod<&DataPlane::StopAccepting>("stopAccepting"),
                     InstanceMethod<&DataPlane::SetAllowedSubnets>("setAllowedSubnets"),
                     InstanceMethod<&DataPlane::Counters>("counters"),
                     InstanceMethod<&DataPlane::Flows>("flows"), InstanceMethod<&DataPlane::Close>("close")});
    exports.Set("DataPlane", cls);
  }

  explicit DataPlane(const Napi::CallbackInfo& info) : Napi::ObjectWrap<DataPlane>(info) {
    Napi::Env env = info.Env();
    if (!info[0].IsObject() || !info[1].IsFunction() || !(info[2].IsUndefined() || info[2].IsObject())) {
      throw InvalidArgType(env,
                           "new DataPlane(config, onEvents, options?): a config object, a function and an "
                           "optional options object");
    }
    shared_ = std::make_unique<SharedState>(ConfigFromJs(env, info[0].As<Napi::Object>()));
    shared_->subnets.Replace(ParseSubnets(env, shared_->config.allowed_subnets));
    if (info[2].IsObject()) ReadOptions(env, info[2].As<Napi::Object>());
    on_events_ = Napi::Persistent(info[1].As<Napi::Function>());
    info.This().As<Napi::Object>().TypeTag(&kDataPlaneTag);
    if (pool_wrap_ != nullptr) pool_wrap_->Join(this);
  }

  ~DataPlane() override { Shutdown(); }

  void CloseWithPool() override {
    closed_with_pool_ = !closed_;
    Shutdown();
  }

 private:
  // options.pool: the pool must be open and as large as config.listeners.
  // options.adoptListenersFrom: a plane of the same protocol, listen
  // endpoint and pool (whether it still listens is checked by start()).
  void ReadOptions(Napi::Env env, Napi::Object options) {
    const Config& config = shared_->config;
    Napi::Value pool = options.Get("pool");
    if (!pool.IsUndefined()) {
      WorkerPoolWrap* wrap = WorkerPoolWrap::From(pool);
      if (wrap == nullptr) throw InvalidArgType(env, "options.pool must be a WorkerPool");
      if (!wrap->pool()) throw CodedError(env, "ERR_CLOSED", "options.pool: this worker pool was closed");
      if (wrap->pool()->size() != config.listeners) {
        throw OutOfRange(env, "data plane config: listeners (" + std::to_string(config.listeners) +
                                  ") must equal the size of options.pool (" +
                                  std::to_string(wrap->pool()->size()) + ")");
      }
      pool_wrap_ = wrap;
      pool_ = wrap->pool();
      pool_ref_ = Napi::Persistent(pool.As<Napi::Object>());
    }
    Napi::Value adopt = options.Get("adoptListenersFrom");
    if (!adopt.IsUndefined()) {
      if (!adopt.IsObject() || !adopt.As<Napi::Object>().CheckTypeTag(&kDataPlaneTag)) {
        throw InvalidArgType(env, "options.adoptListenersFrom must be a DataPlane");
      }
      DataPlane* old = Unwrap(adopt.As<Napi::Object>());
      const Config& theirs = old->shared_->config;
      std::string why;
      if (theirs.protocol != config.protocol) {
        why = "it relays another protocol";
      } else if (theirs.listen.ToString() != config.listen.ToString()) {
        why = "it listens on " + theirs.listen.ToString() + ", not " + config.listen.ToString();
      } else if (pool_ == nullptr || old->pool_ != pool_) {
        why = "it does not run on the same worker pool (give both the same options.pool)";
      }
      if (!why.empty())
        throw InvalidArgValue(env, "options.adoptListenersFrom: cannot take over its listeners: " + why);
      adopt_ref_ = Napi::Persistent(adopt.As<Napi::Object>());
    }
  }

  Napi::Value Start(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (closed_with_pool_) {
      throw CodedError(env, "ERR_CLOSED", "this data plane was closed with its worker pool (pool.close())");
    }
    if (closed_) throw CodedError(env, "ERR_CLOSED", "this data plane was closed");
    if (!workers_.empty()) throw CodedError(env, "ERR_ALREADY_STARTED", "start() was already called");
    const Config& config = shared_->config;
    if (pool_ != nullptr && pool_->closed()) {
      throw CodedError(env, "ERR_CLOSED", "the worker pool of this data plane was closed");
    }
    std::vector<UniqueFd> listeners =
        adopt_ref_.IsEmpty() ? OpenListeners(env, config, &bound_) : AdoptListeners(env);
    if (pool_ == nullptr) {
      try {
        pool_ = std::make_shared<WorkerPool>(config.listeners);
      } catch (const std::system_error& error) {
        throw SystemError(env, error.what(), error.code().value(), "cannot start the worker threads");
      }
      private_pool_ = true;
    }
    shared_->next_flow_id = &pool_->next_flow_id();
    sink_ = std::make_unique<EventSink>(env, on_events_.Value());
    shared_->events = sink_.get();
    for (unsigned i = 0; i < listeners.size(); ++i) {
      workers_.push_back(NewWorker(pool_->loop(i), std::move(listeners[i])));
      if (int error = workers_.back()->Attach(); error != 0) {
        workers_.pop_back();  // never attached
        Shutdown();
        throw SystemError(env, error == ESHUTDOWN ? "start" : "epoll_ctl", error,
                          "cannot attach to worker thread " + std::to_string(i));
      }
    }
    napi_add_env_cleanup_hook(env, CleanupHook, this);
    cleanup_hook_ = true;
    EventBatch listening;
    listening.push_back(NewEvent(Level::kInfo, EventKind::kListening,
                                 (adopt_ref_.IsEmpty() ? "listening on " : "took over the listeners of ") +
                                     bound_.ToString() + " with " + std::to_string(workers_.size()) +
                                     " worker thread(s)"));
    adopt_ref_.Reset();
    sink_->Post(std::move(listening));
    return env.Undefined();
  }

  // The old plane's listening sockets, duplicated: both planes accept from
  // them until the old one stops accepting, so nothing queued is lost. Its
  // listeners are open from its start() until its stopAccepting() or close(),
  // both on this thread, so reading them here races with nothing.
  std::vector<UniqueFd> AdoptListeners(Napi::Env env) {
    DataPlane* old = Unwrap(adopt_ref_.Value());
    std::string why;
    if (old->closed_) {
      why = "it was closed";
    } else if (old->workers_.empty()) {
      why = "it was not started";
    } else if (old->stopped_accepting_) {
      why = "it stopped accepting";
    }
    if (!why.empty())
      throw InvalidArgValue(env, "options.adoptListenersFrom: cannot take over its listeners: " + why);
    std::vector<int> fds;
    for (const auto& worker : old->workers_) fds.push_back(worker->listener_fd());
    std::vector<UniqueFd> listeners = DuplicateListeners(env, fds, old->bound_);
    bound_ = old->bound_;
    return listeners;
  }

  std::unique_ptr<WorkerClient> NewWorker(EventLoop& loop, UniqueFd listener) {
    if (shared_->config.protocol == Protocol::kUdp) {
      return std::make_unique<UdpWorker>(loop, *shared_, std::move(listener));
    }
    return std::make_unique<Worker>(loop, *shared_, std::move(listener));
  }

  Napi::Value StopAccepting(const Napi::CallbackInfo& info) {
    if (!closed_ && !workers_.empty()) {
      stopped_accepting_ = true;
      for (auto& worker : workers_) worker->StopAccepting();
    }
    return info.Env().Undefined();
  }

  Napi::Value SetAllowedSubnets(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    shared_->subnets.Replace(ParseSubnets(env, StringsFromJs(env, info[0], "allowedSubnets")));
    return env.Undefined();
  }

  Napi::Value Counters(const Napi::CallbackInfo& info) {
    CounterTotals totals;
    for (const auto& worker : workers_) worker->counters().AddTo(&totals);
    return CountersObject(info.Env(), totals, shared_->active.load(std::memory_order_relaxed));
  }

  Napi::Value Flows(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::vector<FlowSnapshot> flows;
    for (const auto& worker : workers_) worker->registry().AppendTo(&flows);
    Napi::Array array = Napi::Array::New(env, flows.size());
    for (size_t i = 0; i < flows.size(); ++i) array.Set(i, FlowObject(env, flows[i]));
    return array;
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Shutdown();
    return info.Env().Undefined();
  }

  static void CleanupHook(void* self) {
    auto* plane = static_cast<DataPlane*>(self);
    plane->cleanup_hook_ = false;  // running now: Node drops it afterwards
    plane->Shutdown();
  }

  // Idempotent: detach the workers (they close their flows and post their
  // last events), let the ThreadSafeFunction go and leave the pool; the
  // workers stay, so counters() still answers.
  void Shutdown() {
    if (closed_) return;
    closed_ = true;
    for (auto& worker : workers_) worker->Detach();
    if (private_pool_) pool_->Close();
    if (sink_) sink_->Release();
    if (pool_wrap_ != nullptr) {
      pool_wrap_->Leave(this);
      pool_wrap_ = nullptr;
    }
    pool_ref_.Reset();
    adopt_ref_.Reset();
    if (cleanup_hook_) {
      napi_remove_env_cleanup_hook(Env(), CleanupHook, this);
      cleanup_hook_ = false;
    }
  }

  std::unique_ptr<SharedState> shared_;
  Napi::FunctionReference on_events_;
  std::unique_ptr<EventSink> sink_;
  // The pool's threads: shared (options.pool) or, made by start(), private.
  std::shared_ptr<WorkerPool> pool_;
  bool private_pool_ = false;
  WorkerPoolWrap* pool_wrap_ = nullptr;  // a shared pool's wrap, kept alive by pool_ref_
  Napi::ObjectReference pool_ref_;
  Napi::ObjectReference adopt_ref_;  // options.adoptListenersFrom, until start()
  std::vector<std::unique_ptr<WorkerClient>> workers_;
  Address bound_;
  bool stopped_accepting_ = false;
  bool closed_ = false;
  bool closed_with_pool_ = false;
  bool cleanup_hook_ = false;
};

const RegisterExports registered(DataPlane::Init);

}  // namespace
}  // namespace mmproxy::dataplane
