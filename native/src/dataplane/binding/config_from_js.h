// Converts the DataPlaneConfig object TypeScript validated into Config.
#pragma once

#include <napi.h>

#include "dataplane/shared/config.h"

namespace mmproxy::dataplane {

// Throws a NativeError (ERR_INVALID_CONFIG, ERR_UNSUPPORTED) for what
// TypeScript should have caught; C++ does not trust a malformed object.
Config ConfigFromJs(Napi::Env env, Napi::Object object);
std::vector<std::string> StringsFromJs(Napi::Env env, Napi::Value value, const char* what);

}  // namespace mmproxy::dataplane
