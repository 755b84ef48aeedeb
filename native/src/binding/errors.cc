#include "binding/errors.h"

#include <cerrno>
#include <cstring>
#include <memory>

#include "binding/registry.h"

namespace mmproxy {
namespace {

struct ErrorClass {
  Napi::FunctionReference constructor;
};

ErrorClass* error_class(Napi::Env env) { return env.GetInstanceData<ErrorClass>(); }

// Without the TypeScript class (a caller that skipped the loader) a plain
// Error with the same fields is still better than losing the details.
Napi::Error Build(Napi::Env env, const std::string& code, const std::string& message,
                  const std::string& syscall, int errnum) {
  Napi::Object error;
  ErrorClass* cls = error_class(env);
  if (cls != nullptr && !cls->constructor.IsEmpty()) {
    error = cls->constructor.New({Napi::String::New(env, message), Napi::String::New(env, code)});
  } else {
    error = Napi::Error::New(env, message).Value();
    error.Set("code", code);
  }
  if (!syscall.empty()) error.Set("syscall", syscall);
  if (errnum != 0) error.Set("errno", errnum);
  return Napi::Error(env, error);
}

const char* ErrnoName(int errnum) {
  const char* name = strerrorname_np(errnum);
  return name != nullptr ? name : "EUNKNOWN";
}

Napi::Value SetErrorClass(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsFunction()) throw Napi::TypeError::New(env, "setErrorClass expects a class");
  auto cls = std::make_unique<ErrorClass>();
  cls->constructor = Napi::Persistent(info[0].As<Napi::Function>());
  env.SetInstanceData<ErrorClass>(cls.release());
  return env.Undefined();
}

void InitErrors(Napi::Env env, Napi::Object exports) {
  exports.Set("setErrorClass", Napi::Function::New(env, SetErrorClass, "setErrorClass"));
}

const RegisterExports registered(InitErrors);

}  // namespace

Napi::Error SystemError(Napi::Env env, const std::string& syscall, int errnum, const std::string& context) {
  std::string message = syscall + ": " + std::strerror(errnum);
  if (!context.empty()) message = context + ": " + message;
  return Build(env, ErrnoName(errnum), message, syscall, errnum);
}

Napi::Error CodedError(Napi::Env env, const std::string& code, const std::string& message) {
  return Build(env, code, message, "", 0);
}

Napi::Error InvalidArgType(Napi::Env env, const std::string& message) {
  Napi::Error error = Napi::TypeError::New(env, message);
  error.Set("code", "ERR_INVALID_ARG_TYPE");
  return error;
}

Napi::Error InvalidArgValue(Napi::Env env, const std::string& message) {
  Napi::Error error = Napi::TypeError::New(env, message);
  error.Set("code", "ERR_INVALID_ARG_VALUE");
  return error;
}

Napi::Error OutOfRange(Napi::Env env, const std::string& message) {
  Napi::Error error = Napi::RangeError::New(env, message);
  error.Set("code", "ERR_OUT_OF_RANGE");
  return error;
}

}  // namespace mmproxy
