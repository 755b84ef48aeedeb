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
// "ERR_INVALID_CONFIG") and no errno.
Napi::Error CodedError(Napi::Env env, const std::string& code, const std::string& message);

}  // namespace mmproxy
