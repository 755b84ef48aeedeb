#include "dataplane/binding/config_from_js.h"

#include "binding/errors.h"

namespace mmproxy::dataplane {
namespace {

Napi::Error Invalid(Napi::Env env, const std::string& message) {
  return CodedError(env, "ERR_INVALID_CONFIG", "data plane config: " + message);
}

unsigned Unsigned(Napi::Env env, Napi::Object object, const char* key) {
  Napi::Value value = object.Get(key);
  if (!value.IsNumber() || value.As<Napi::Number>().DoubleValue() < 0) {
    throw Invalid(env, std::string(key) + " must be a non-negative number");
  }
  return value.As<Napi::Number>().Uint32Value();
}

bool Boolean(Napi::Object object, const char* key, bool fallback) {
  Napi::Value value = object.Get(key);
  return value.IsBoolean() ? value.As<Napi::Boolean>().Value() : fallback;
}

std::optional<Address> EndpointFromJs(Napi::Env env, Napi::Value value, const char* key) {
  if (value.IsNull() || value.IsUndefined()) return std::nullopt;
  if (!value.IsObject()) throw Invalid(env, std::string(key) + " must be an endpoint or null");
  Napi::Object endpoint = value.As<Napi::Object>();
  Napi::Value ip = endpoint.Get("address");
  unsigned port = Unsigned(env, endpoint, "port");
  Address address;
  if (!ip.IsString() || port > 65535 ||
      !Address::FromIp(ip.As<Napi::String>().Utf8Value(), static_cast<uint16_t>(port), &address)) {
    throw Invalid(env, std::string(key) + " must have a numeric address and a port up to 65535");
  }
  return address;
}

RelayMode RelayModeFromJs(Napi::Env env, Napi::Value value) {
  if (value.IsUndefined()) return RelayMode::kAuto;
  std::string mode = value.IsString() ? value.As<Napi::String>().Utf8Value() : "";
  if (mode == "auto") return RelayMode::kAuto;
  if (mode == "splice") return RelayMode::kSplice;
  if (mode == "copy") return RelayMode::kCopy;
  throw Invalid(env, "relayMode must be 'auto', 'splice' or 'copy'");
}

CollisionPolicy CollisionFromJs(Napi::Env env, Napi::Value value) {
  if (value.IsUndefined()) return CollisionPolicy::kRefuse;
  std::string policy = value.IsString() ? value.As<Napi::String>().Utf8Value() : "";
  if (policy == "refuse") return CollisionPolicy::kRefuse;
  if (policy == "ephemeral-port") return CollisionPolicy::kEphemeralPort;
  throw Invalid(env, "collision must be 'refuse' or 'ephemeral-port'");
}

}  // namespace

std::vector<std::string> StringsFromJs(Napi::Env env, Napi::Value value, const char* what) {
  if (!value.IsArray()) throw Invalid(env, std::string(what) + " must be an array of strings");
  Napi::Array array = value.As<Napi::Array>();
  std::vector<std::string> strings;
  for (uint32_t i = 0; i < array.Length(); ++i) {
    Napi::Value item = array.Get(i);
    if (!item.IsString()) throw Invalid(env, std::string(what) + " must be an array of strings");
    strings.push_back(item.As<Napi::String>().Utf8Value());
  }
  return strings;
}

Config ConfigFromJs(Napi::Env env, Napi::Object object) {
  Napi::Value protocol = object.Get("protocol");
  std::string name = protocol.IsString() ? protocol.As<Napi::String>().Utf8Value() : "";
  if (name != "tcp" && name != "udp") throw Invalid(env, "protocol must be 'tcp' or 'udp'");
  Config config;
  config.protocol = name == "udp" ? Protocol::kUdp : Protocol::kTcp;
  std::optional<Address> listen = EndpointFromJs(env, object.Get("listen"), "listen");
  if (!listen) throw Invalid(env, "listen is required");
  config.listen = *listen;
  config.target4 = EndpointFromJs(env, object.Get("target4"), "target4");
  config.target6 = EndpointFromJs(env, object.Get("target6"), "target6");
  config.mark = Unsigned(env, object, "mark");
  config.allowed_subnets = StringsFromJs(env, object.Get("allowedSubnets"), "allowedSubnets");
  config.listeners = Unsigned(env, object, "listeners");
  if (config.listeners == 0) throw Invalid(env, "listeners must be at least 1");
  config.header_timeout_ms = Unsigned(env, object, "headerTimeoutMs");
  config.connect_timeout_ms = Unsigned(env, object, "connectTimeoutMs");
  config.max_connections = Unsigned(env, object, "maxConnections");
  config.dynamic_destination = Boolean(object, "dynamicDestination", false);
  config.listen_transparent = Boolean(object, "listenTransparent", false);
  config.reuse_port = Boolean(object, "reusePort", false);
  config.relay_mode = RelayModeFromJs(env, object.Get("relayMode"));
  config.collision = CollisionFromJs(env, object.Get("collision"));
  config.debug_events = Boolean(object, "debugEvents", false);
  if (!object.Get("keepAliveSeconds").IsUndefined()) {
    config.keepalive = KeepAliveFor(Unsigned(env, object, "keepAliveSeconds"));
  }
  if (config.protocol == Protocol::kUdp) {
    config.close_after_ms = int64_t{Unsigned(env, object, "closeAfterSeconds")} * 1000;
    config.max_sessions = Unsigned(env, object, "maxSessions");
  }
  return config;
}

}  // namespace mmproxy::dataplane
