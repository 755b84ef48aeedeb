// The DataPlane class JavaScript sees (src/native/dataplane-types.ts): an
// ObjectWrap that owns the worker threads. close(), the destructor and the
// environment's cleanup hook all stop and join them, then release the
// ThreadSafeFunction, so no thread outlives the object or the environment.
#include <napi.h>
#include <sys/socket.h>

#include <memory>
#include <system_error>
#include <vector>

#include "binding/errors.h"
#include "binding/registry.h"
#include "dataplane/binding/config_from_js.h"
#include "dataplane/binding/event_sink.h"
#include "dataplane/binding/js_values.h"
#include "dataplane/shared/flow_registry.h"
#include "dataplane/shared/shared_state.h"
#include "dataplane/tcp/worker.h"
#include "dataplane/udp/udp_worker.h"
#include "os/sockets.h"

namespace mmproxy::dataplane {
namespace {

std::shared_ptr<const SubnetList> ParseSubnets(Napi::Env env, const std::vector<std::string>& cidrs) {
  auto list = std::make_shared<SubnetList>();
  std::string bad;
  if (!SubnetList::Parse(cidrs, list.get(), &bad)) {
    throw InvalidArgValue(env, "allowed subnet '" + bad + "' is not a CIDR prefix");
  }
  return list;
}

class DataPlane : public Napi::ObjectWrap<DataPlane> {
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
    if (!info[0].IsObject() || !info[1].IsFunction()) {
      throw InvalidArgType(env, "new DataPlane(config, onEvents): a config object and a function");
    }
    shared_ = std::make_unique<SharedState>(ConfigFromJs(env, info[0].As<Napi::Object>()));
    shared_->subnets.Replace(ParseSubnets(env, shared_->config.allowed_subnets));
    on_events_ = Napi::Persistent(info[1].As<Napi::Function>());
  }

  ~DataPlane() override { Shutdown(); }

 private:
  Napi::Value Start(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (closed_) throw CodedError(env, "ERR_CLOSED", "this data plane was closed");
    if (!workers_.empty()) throw CodedError(env, "ERR_ALREADY_STARTED", "start() was already called");
    const Config& config = shared_->config;
    std::vector<UniqueFd> listeners = OpenListeners(env, config);
    sink_ = std::make_unique<EventSink>(env, on_events_.Value());
    shared_->events = sink_.get();
    try {
      for (unsigned i = 0; i < listeners.size(); ++i) {
        workers_.push_back(NewWorker(i, std::move(listeners[i])));
      }
    } catch (const std::system_error& error) {
      workers_.clear();
      shared_->events = nullptr;
      sink_.reset();  // releases the ThreadSafeFunction, which would keep Node alive
      throw SystemError(env, error.what(), error.code().value());
    }
    for (auto& worker : workers_) worker->Start();
    napi_add_env_cleanup_hook(env, CleanupHook, this);
    cleanup_hook_ = true;
    EventBatch listening;
    listening.push_back(NewEvent(Level::kInfo, EventKind::kListening,
                                 "listening on " + bound_.ToString() + " with " +
                                     std::to_string(workers_.size()) + " worker thread(s)"));
    sink_->Post(std::move(listening));
    return env.Undefined();
  }

  // One SO_REUSEPORT listener per worker. With port 0 the first one picks the
  // port and the others join it. Unless asked to share, a port some other
  // socket holds is refused first.
  std::vector<UniqueFd> OpenListeners(Napi::Env env, const Config& config) {
    std::vector<UniqueFd> listeners;
    Address address = config.listen;
    ListenOptions options{config.listen_transparent, config.protocol == Protocol::kUdp, config.keepalive};
    if (config.protocol == Protocol::kTcp) options.defer_accept_s = Worker::kDeferAcceptSeconds;
    if (!config.reuse_port && address.port() != 0) {
      if (SocketFailure failure = CheckPortFree(address, options)) {
        throw SystemError(env, failure.step, failure.error, "cannot listen on " + address.ToString());
      }
    }
    for (unsigned i = 0; i < config.listeners; ++i) {
      UniqueFd fd;
      SocketFailure failure = OpenListener(address, options, &fd);
      if (failure) {
        throw SystemError(env, failure.step, failure.error, "cannot listen on " + address.ToString());
      }
      if (i == 0) {
        sockaddr_storage bound{};
        socklen_t length = sizeof bound;
        ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&bound), &length);
        address.set_port(Address::FromKernel(bound).port());
      }
      listeners.push_back(std::move(fd));
    }
    bound_ = address;
    return listeners;
  }

  std::unique_ptr<WorkerThread> NewWorker(unsigned index, UniqueFd listener) {
    if (shared_->config.protocol == Protocol::kUdp) {
      return std::make_unique<UdpWorker>(index, *shared_, std::move(listener));
    }
    return std::make_unique<Worker>(index, *shared_, std::move(listener));
  }

  Napi::Value StopAccepting(const Napi::CallbackInfo& info) {
    for (auto& worker : workers_) worker->StopAccepting();
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

  // Idempotent: stop and join the workers (they flush their last events),
  // then let the ThreadSafeFunction go.
  void Shutdown() {
    if (closed_) return;
    closed_ = true;
    for (auto& worker : workers_) worker->Stop();
    if (sink_) sink_->Release();
    if (cleanup_hook_) {
      napi_remove_env_cleanup_hook(Env(), CleanupHook, this);
      cleanup_hook_ = false;
    }
  }

  std::unique_ptr<SharedState> shared_;
  Napi::FunctionReference on_events_;
  std::unique_ptr<EventSink> sink_;
  std::vector<std::unique_ptr<WorkerThread>> workers_;
  Address bound_;
  bool closed_ = false;
  bool cleanup_hook_ = false;
};

const RegisterExports registered(DataPlane::Init);

}  // namespace
}  // namespace mmproxy::dataplane
