// JavaScript face of the probes: probeConnect (a Promise, run off the main
// thread because it may wait for a timeout; a TCP connect, or with protocol
// 'udp' one datagram and its reply) and probeSocketOption
// (synchronous: one setsockopt on a throw-away socket). TypeScript validates
// the arguments (src/doctor/context/native-probes.ts).
#include <napi.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>

#include "binding/registry.h"
#include "dataplane/binding/config_from_js.h"
#include "dataplane/binding/config_limits.h"
#include "os/socket_options.h"
#include "os/unique_fd.h"
#include "probe/connect_probe.h"
#include "probe/datagram_probe.h"

namespace mmproxy::probe {
namespace {

Napi::Value ErrnoName(Napi::Env env, int errnum) {
  if (errnum == 0) return env.Null();
  const char* name = strerrorname_np(errnum);
  return Napi::String::New(env, name != nullptr ? name : "EUNKNOWN");
}

class ConnectWorker : public Napi::AsyncWorker {
 public:
  ConnectWorker(Napi::Env env, ConnectRequest request, bool datagram)
      : Napi::AsyncWorker(env),
        request_(std::move(request)),
        datagram_(datagram),
        deferred_(Napi::Promise::Deferred::New(env)) {}

  Napi::Promise Promise() const { return deferred_.Promise(); }

  void Execute() override { result_ = datagram_ ? RunDatagramProbe(request_) : RunConnectProbe(request_); }

  void OnOK() override {
    Napi::Env env = Env();
    Napi::Object out = Napi::Object::New(env);
    out.Set("outcome", OutcomeName(result_.outcome));
    out.Set("errno", result_.errnum);
    out.Set("code", ErrnoName(env, result_.errnum));
    out.Set("syscall", result_.syscall.empty() ? env.Null() : Napi::String::New(env, result_.syscall));
    out.Set("localPort", result_.local_port == 0 ? env.Null() : Napi::Number::New(env, result_.local_port));
    out.Set("elapsedMs", result_.elapsed_ms);
    deferred_.Resolve(out);
  }

 private:
  ConnectRequest request_;
  bool datagram_;  // UDP: one datagram out, one reply back
  Napi::Promise::Deferred deferred_;
  ConnectResult result_;
};

std::string StringField(const Napi::Object& object, const char* key) {
  const Napi::Value value = object.Get(key);
  return value.IsString() ? value.As<Napi::String>().Utf8Value() : std::string();
}

int IntField(const Napi::Object& object, const char* key) {
  const Napi::Value value = object.Get(key);
  return value.IsNumber() ? value.As<Napi::Number>().Int32Value() : 0;
}

// SO_MARK, in the data plane's range: a value outside it is refused, never
// truncated into another mark.
uint32_t MarkField(Napi::Env env, const Napi::Object& options) {
  return static_cast<uint32_t>(
      dataplane::IntegerInRange(env, options.Get("mark"), dataplane::kMarkLimit, "mark"));
}

Napi::Value ProbeConnect(const Napi::CallbackInfo& info) {
  const Napi::Object options = info[0].As<Napi::Object>();
  ConnectRequest request;
  const Napi::Value source = options.Get("source");
  if (source.IsObject()) {
    request.source_address = StringField(source.As<Napi::Object>(), "address");
    request.source_port = IntField(source.As<Napi::Object>(), "port");
  }
  const Napi::Object target = options.Get("target").As<Napi::Object>();
  request.target_address = StringField(target, "address");
  request.target_port = IntField(target, "port");
  request.transparent = options.Get("transparent").ToBoolean().Value();
  request.mark = MarkField(info.Env(), options);
  request.timeout_ms = IntField(options, "timeoutMs");
  const bool datagram = StringField(options, "protocol") == "udp";
  auto* worker = new ConnectWorker(info.Env(), std::move(request), datagram);  // AsyncWorker deletes itself
  worker->Queue();
  return worker->Promise();
}

Napi::Value ProbeSocketOption(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Napi::Object options = info[0].As<Napi::Object>();
  const int family = IntField(options, "family") == 6 ? AF_INET6 : AF_INET;
  const std::string option = StringField(options, "option");
  int error = 0;
  UniqueFd fd(socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) {
    error = errno;
  } else if (option == "mark") {
    error = SetMark(fd.get(), MarkField(env, options)).error;
  } else {
    error = SetTransparent(fd.get(), static_cast<sa_family_t>(family)).error;
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("ok", error == 0);
  out.Set("errno", error);
  out.Set("code", ErrnoName(env, error));
  return out;
}

void InitProbe(Napi::Env env, Napi::Object exports) {
  exports.Set("probeConnect", Napi::Function::New(env, ProbeConnect, "probeConnect"));
  exports.Set("probeSocketOption", Napi::Function::New(env, ProbeSocketOption, "probeSocketOption"));
}

const RegisterExports registered(InitProbe);

}  // namespace
}  // namespace mmproxy::probe
