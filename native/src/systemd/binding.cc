// JavaScript face of the service-manager notifications: notifyServiceManager
// (synchronous: one datagram on a throw-away socket). TypeScript reads
// $NOTIFY_SOCKET and builds the message (src/proxy/service/notify.ts).
#include <napi.h>

#include <string>

#include "binding/errors.h"
#include "binding/registry.h"
#include "systemd/notify.h"

namespace mmproxy::systemd {
namespace {

Napi::Value NotifyServiceManager(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string socket_name = info[0].As<Napi::String>().Utf8Value();
  const std::string message = info[1].As<Napi::String>().Utf8Value();
  // Checked in TypeScript too: reject, never truncate, an address that does not fit.
  if (socket_name.empty() || socket_name.size() > kMaxNotifySocketName ||
      (socket_name[0] != '/' && socket_name[0] != '@')) {
    throw CodedError(env, "ERR_INVALID_ARG",
                     "NOTIFY_SOCKET must be a path or an @abstract name of at most " +
                         std::to_string(kMaxNotifySocketName) + " bytes");
  }
  const char* syscall = "";
  const int error = SendNotification(socket_name, message, &syscall);
  if (error != 0) throw SystemError(env, syscall, error, socket_name);
  return env.Undefined();
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("notifyServiceManager", Napi::Function::New(env, NotifyServiceManager, "notifyServiceManager"));
  exports.Set("maxNotifySocketName", Napi::Number::New(env, static_cast<double>(kMaxNotifySocketName)));
}

const RegisterExports registered(Init);

}  // namespace
}  // namespace mmproxy::systemd
