// Converts the DataPlaneConfig object TypeScript validated into Config.
#pragma once

#include <napi.h>

#include "dataplane/shared/config.h"

namespace mmproxy::dataplane {

// Reads every field with a checked reader and throws what TypeScript should
// have caught, naming the field: a TypeError for a wrong type or an unknown
// name, a RangeError for a number outside its range (config_limits.h) or not
// an integer. Nothing is coerced, truncated or wrapped.
Config ConfigFromJs(Napi::Env env, Napi::Object object);
// An array of strings, else a TypeError that starts with `what`.
std::vector<std::string> StringsFromJs(Napi::Env env, Napi::Value value, const char* what);

}  // namespace mmproxy::dataplane
