#include "dataplane/binding/config_from_js.h"

#include <cmath>
#include <limits>
#include <string_view>

#include "binding/errors.h"
#include "dataplane/binding/config_limits.h"

namespace mmproxy::dataplane {
namespace {

// Each field's range must fit the member it is read into.
template <typename Member>
constexpr bool Fits(const ConfigLimit& limit) {
  return limit.max <= std::numeric_limits<Member>::max();
}
static_assert(Fits<decltype(Config::mark)>(kMarkLimit));
static_assert(Fits<decltype(Config::listeners)>(kListenersLimit));
static_assert(Fits<decltype(Config::header_timeout_ms)>(kHeaderTimeoutLimit));
static_assert(Fits<decltype(Config::connect_timeout_ms)>(kConnectTimeoutLimit));
static_assert(Fits<decltype(Config::max_connections)>(kMaxConnectionsLimit));
static_assert(Fits<int64_t>(kCloseAfterLimit) && kCloseAfterLimit.max * 1000 <= kDayMs);
static_assert(Fits<decltype(Config::max_sessions)>(kMaxSessionsLimit));
static_assert(Fits<unsigned>(kKeepAliveLimit));
static_assert(Fits<uint16_t>(kPortLimit));
static_assert(Fits<decltype(Config::fast_path_after_reads)>(kFastPathAfterLimit));

const std::string kPrefix = "data plane config: ";

// typeof, for "got a string".
const char* TypeName(const Napi::Value& value) {
  switch (value.Type()) {
    case napi_undefined:
      return "undefined";
    case napi_null:
      return "null";
    case napi_boolean:
      return "a boolean";
    case napi_number:
      return "a number";
    case napi_string:
      return "a string";
    case napi_symbol:
      return "a symbol";
    case napi_object:
      return value.IsArray() ? "an array" : "an object";
    case napi_function:
      return "a function";
    case napi_external:
      return "an external";
    case napi_bigint:
      return "a bigint";
  }
  return "an unknown type";
}

std::string RangeText(const ConfigLimit& limit) {
  return "an integer from " + std::to_string(limit.min) + " to " + std::to_string(limit.max);
}

// The integer `value` holds, checked against `limit`: a TypeError when it is
// not a number, a RangeError when it is a fraction, NaN, infinite or out of
// range. `name` is the field as the message shows it ("listen.port").
uint64_t CheckedInteger(Napi::Env env, const Napi::Value& value, const ConfigLimit& limit,
                        const std::string& name) {
  return IntegerInRange(env, value, limit, kPrefix + name);
}

uint64_t Integer(Napi::Env env, const Napi::Object& object, const ConfigLimit& limit) {
  return CheckedInteger(env, object.Get(limit.field), limit, limit.field);
}

// An optional integer field: `fallback` when undefined, checked otherwise.
uint64_t OptionalInteger(Napi::Env env, const Napi::Object& object, const ConfigLimit& limit,
                         uint64_t fallback) {
  const Napi::Value value = object.Get(limit.field);
  return value.IsUndefined() ? fallback : CheckedInteger(env, value, limit, limit.field);
}

// Booleans are optional (absent: false) but never coerced.
bool Boolean(Napi::Env env, const Napi::Object& object, const char* key) {
  const Napi::Value value = object.Get(key);
  if (value.IsUndefined()) return false;
  if (!value.IsBoolean()) {
    throw InvalidArgType(env, kPrefix + key + " must be a boolean, got " + TypeName(value));
  }
  return value.As<Napi::Boolean>().Value();
}

std::string ChoicesText(const char* const* names, size_t count) {
  std::string text;
  for (size_t i = 0; i < count; ++i) {
    if (i > 0) text += i + 1 == count ? " or " : ", ";
    text += std::string("'") + names[i] + "'";
  }
  return text;
}

// One of `names`; `fallback` when undefined, if the field is optional.
template <typename Enum, size_t N>
Enum Choice(Napi::Env env, const Napi::Object& object, const char* key, const EnumNames<Enum, N>& names,
            std::optional<Enum> fallback) {
  const Napi::Value value = object.Get(key);
  if (value.IsUndefined() && fallback) return *fallback;
  const std::string choices = ChoicesText(names.names.data(), N);
  if (!value.IsString()) {
    throw InvalidArgType(env, kPrefix + key + " must be " + choices + ", got " + TypeName(value));
  }
  const std::string written = value.As<Napi::String>().Utf8Value();
  if (std::optional<Enum> found = names.Find(written)) return *found;
  throw InvalidArgValue(env, kPrefix + key + " must be " + choices + ", got '" + written + "'");
}

std::optional<Address> EndpointFromJs(Napi::Env env, const Napi::Object& object, const char* key) {
  const Napi::Value value = object.Get(key);
  if (value.IsNull() || value.IsUndefined()) return std::nullopt;
  if (!value.IsObject()) {
    throw InvalidArgType(env, kPrefix + key + " must be an endpoint or null, got " + TypeName(value));
  }
  const Napi::Object endpoint = value.As<Napi::Object>();
  const auto port = static_cast<uint16_t>(
      CheckedInteger(env, endpoint.Get("port"), kPortLimit, std::string(key) + ".port"));
  const Napi::Value ip = endpoint.Get("address");
  if (!ip.IsString()) {
    throw InvalidArgType(env, kPrefix + key + ".address must be a numeric IP address, got " + TypeName(ip));
  }
  Address address;
  if (!Address::FromIp(ip.As<Napi::String>().Utf8Value(), port, &address)) {
    throw InvalidArgValue(env, kPrefix + key + ".address must be a numeric IP address, got '" +
                                   ip.As<Napi::String>().Utf8Value() + "'");
  }
  return address;
}

// dynamicDestinationAllow: [{ prefix: "ip/len", firstPort, lastPort }, ...];
// absent: none (this host's own addresses only).
std::vector<DestinationRule> DestinationRulesFromJs(Napi::Env env, const Napi::Object& object) {
  const char* key = "dynamicDestinationAllow";
  const Napi::Value value = object.Get(key);
  std::vector<DestinationRule> rules;
  if (value.IsUndefined()) return rules;
  if (!value.IsArray()) {
    throw InvalidArgType(
        env, kPrefix + key + " must be an array of { prefix, firstPort, lastPort }, got " + TypeName(value));
  }
  const Napi::Array array = value.As<Napi::Array>();
  for (uint32_t i = 0; i < array.Length(); ++i) {
    const std::string name = std::string(key) + "[" + std::to_string(i) + "]";
    const Napi::Value item = array.Get(i);
    if (!item.IsObject()) {
      throw InvalidArgType(
          env, kPrefix + name + " must be { prefix, firstPort, lastPort }, got " + TypeName(item));
    }
    const Napi::Object rule_object = item.As<Napi::Object>();
    DestinationRule rule;
    const Napi::Value prefix = rule_object.Get("prefix");
    if (!prefix.IsString() || !IpPrefix::Parse(prefix.As<Napi::String>().Utf8Value(), &rule.prefix)) {
      throw InvalidArgValue(env, kPrefix + name + ".prefix must be a prefix like '192.0.2.0/24', got " +
                                     (prefix.IsString() ? "'" + prefix.As<Napi::String>().Utf8Value() + "'"
                                                        : std::string(TypeName(prefix))));
    }
    rule.first_port = static_cast<uint16_t>(
        CheckedInteger(env, rule_object.Get("firstPort"), kPortLimit, name + ".firstPort"));
    rule.last_port = static_cast<uint16_t>(
        CheckedInteger(env, rule_object.Get("lastPort"), kPortLimit, name + ".lastPort"));
    if (rule.first_port > rule.last_port) {
      throw OutOfRange(env, kPrefix + name + ".firstPort must not be above its lastPort");
    }
    rules.push_back(rule);
  }
  return rules;
}

}  // namespace

uint64_t IntegerInRange(Napi::Env env, const Napi::Value& value, const ConfigLimit& limit,
                        const std::string& what) {
  if (!value.IsNumber()) {
    throw InvalidArgType(env, what + " must be " + RangeText(limit) + ", got " + TypeName(value));
  }
  const double number = value.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(number) || std::trunc(number) != number || number < static_cast<double>(limit.min) ||
      number > static_cast<double>(limit.max)) {
    throw OutOfRange(env, what + " must be " + RangeText(limit) + ", got " + value.ToString().Utf8Value());
  }
  return static_cast<uint64_t>(number);
}

std::vector<std::string> StringsFromJs(Napi::Env env, Napi::Value value, const char* what) {
  if (!value.IsArray()) throw InvalidArgType(env, std::string(what) + " must be an array of strings");
  Napi::Array array = value.As<Napi::Array>();
  std::vector<std::string> strings;
  for (uint32_t i = 0; i < array.Length(); ++i) {
    Napi::Value item = array.Get(i);
    if (!item.IsString()) throw InvalidArgType(env, std::string(what) + " must be an array of strings");
    strings.push_back(item.As<Napi::String>().Utf8Value());
  }
  return strings;
}

Config ConfigFromJs(Napi::Env env, Napi::Object object) {
  Config config;
  config.protocol = Choice(env, object, "protocol", kProtocolNames, std::optional<Protocol>());
  std::optional<Address> listen = EndpointFromJs(env, object, "listen");
  if (!listen) throw InvalidArgType(env, kPrefix + "listen must be an endpoint");
  config.listen = *listen;
  config.target4 = EndpointFromJs(env, object, "target4");
  config.target6 = EndpointFromJs(env, object, "target6");
  config.mark = static_cast<unsigned>(Integer(env, object, kMarkLimit));
  config.allowed_subnets =
      StringsFromJs(env, object.Get("allowedSubnets"), "data plane config: allowedSubnets");
  config.listeners = static_cast<unsigned>(Integer(env, object, kListenersLimit));
  config.header_timeout_ms = static_cast<unsigned>(Integer(env, object, kHeaderTimeoutLimit));
  config.connect_timeout_ms = static_cast<unsigned>(Integer(env, object, kConnectTimeoutLimit));
  config.max_connections = static_cast<unsigned>(Integer(env, object, kMaxConnectionsLimit));
  config.dynamic_destination = Boolean(env, object, "dynamicDestination");
  config.destination_allow = DestinationRulesFromJs(env, object);
  config.allow_local_clients = Boolean(env, object, "allowLocalClients");
  config.listen_transparent = Boolean(env, object, "listenTransparent");
  config.reuse_port = Boolean(env, object, "reusePort");
  config.relay_mode = Choice(env, object, "relayMode", kRelayModeNames, std::optional(RelayMode::kAuto));
  config.fast_path = Choice(env, object, "fastPath", kFastPathModeNames, std::optional(FastPathMode::kOff));
  config.fast_path_after_reads =
      static_cast<unsigned>(OptionalInteger(env, object, kFastPathAfterLimit, kDefaultFastPathAfterReads));
  config.collision =
      Choice(env, object, "collision", kCollisionPolicyNames, std::optional(CollisionPolicy::kRefuse));
  config.debug_events = Boolean(env, object, "debugEvents");
  config.keepalive = KeepAliveFor(static_cast<unsigned>(OptionalInteger(env, object, kKeepAliveLimit, 0)));
  // The UDP fields are required for UDP; a TCP config may leave them out,
  // and what it gives is checked all the same.
  if (config.protocol == Protocol::kUdp) {
    config.close_after_ms = static_cast<int64_t>(Integer(env, object, kCloseAfterLimit)) * 1000;
    config.max_sessions = static_cast<unsigned>(Integer(env, object, kMaxSessionsLimit));
    config.udp_header =
        Choice(env, object, "udpHeader", kUdpHeaderModeNames, std::optional(UdpHeaderMode::kEvery));
  } else {
    OptionalInteger(env, object, kCloseAfterLimit, 0);
    OptionalInteger(env, object, kMaxSessionsLimit, 0);
    Choice(env, object, "udpHeader", kUdpHeaderModeNames, std::optional(UdpHeaderMode::kEvery));
  }
  return config;
}

}  // namespace mmproxy::dataplane
