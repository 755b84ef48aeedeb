// Converts the DataPlaneConfig object TypeScript validated into Config.
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "dataplane/binding/config_limits.h"
#include "dataplane/shared/config.h"

namespace mmproxy::dataplane {

// Reads every field with a checked reader and throws what TypeScript should
// have caught, naming the field: a TypeError for a wrong type or an unknown
// name, a RangeError for a number outside its range (config_limits.h) or not
// an integer. Nothing is coerced, truncated or wrapped.
Config ConfigFromJs(Napi::Env env, Napi::Object object);
// The integer `value` holds within `limit`: a TypeError when it is not a
// number, a RangeError when it is a fraction, NaN, infinite or out of range.
// `what` starts the message ("data plane config: listen.port").
uint64_t IntegerInRange(Napi::Env env, const Napi::Value& value, const ConfigLimit& limit,
                        const std::string& what);
// An array of strings, else a TypeError that starts with `what`.
std::vector<std::string> StringsFromJs(Napi::Env env, Napi::Value value, const char* what);

}  // namespace mmproxy::dataplane
