// Failures cross into JavaScript as instances of the TypeScript class
// NativeError (src/native/errors.ts): {code, syscall, errno, message}. The
// loader hands the class over once through setErrorClass().
#pragma once

#include <napi.h>

#include <string>

namespace mmproxy {

// Builds a NativeError for a failed system call; `errnum` is the errno value.
Napi::Error SystemError(Napi::Env env, const std::string& syscall, int errnum,
                        const std::string& context = "");

// Builds a NativeError with a project-specific code (for example
// "ERR_ALREADY_STARTED") and no errno.
Napi::Error CodedError(Napi::Env env, const std::string& code, const std::string& message);

// A caller's mistake, not the system's failure, so not a NativeError: built
// as Node builds its own argument errors, a TypeError or RangeError with
// `code` set. A value of the wrong type: TypeError ERR_INVALID_ARG_TYPE. A
// value of the right type that means nothing (an unknown name, an address
// that is not one): TypeError ERR_INVALID_ARG_VALUE. A number that is not an
// integer or lies outside its range: RangeError ERR_OUT_OF_RANGE.
Napi::Error InvalidArgType(Napi::Env env, const std::string& message);
Napi::Error InvalidArgValue(Napi::Env env, const std::string& message);
Napi::Error OutOfRange(Napi::Env env, const std::string& message);

}  // namespace mmproxy
