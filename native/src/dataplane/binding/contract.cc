// What TypeScript takes from the data plane instead of restating it: the
// ranges of the config's numbers (config_limits.h) and the names of its
// enumerations, each list in the data plane's order. Frozen, so no caller
// can bend the contract for the next one. TypeScript's literal-union types
// are tested against these lists (test/unit/native/).
#include <napi.h>

#include "binding/registry.h"
#include "dataplane/binding/config_limits.h"
#include "dataplane/shared/config.h"
#include "dataplane/shared/counters.h"
#include "dataplane/shared/event.h"
#include "dataplane/shared/flow_info.h"

namespace mmproxy::dataplane {
namespace {

Napi::Object Frozen(Napi::Object object) {
  object.Freeze();
  return object;
}

template <typename Enum, size_t N>
Napi::Array NameList(Napi::Env env, const EnumNames<Enum, N>& names) {
  Napi::Array list = Napi::Array::New(env, N);
  for (size_t i = 0; i < N; ++i) list.Set(static_cast<uint32_t>(i), names.names[i]);
  list.Freeze();
  return list;
}

Napi::Array FailureReasons(Napi::Env env) {
  Napi::Array list = Napi::Array::New(env, kFailureCount);
  for (size_t i = 0; i < kFailureCount; ++i) {
    list.Set(static_cast<uint32_t>(i), FailureLabel(static_cast<Failure>(i)));
  }
  list.Freeze();
  return list;
}

// { mark: { min, max }, listeners: { min, max }, ... }
Napi::Object Limits(Napi::Env env) {
  Napi::Object limits = Napi::Object::New(env);
  for (const ConfigLimit& limit : kConfigLimits) {
    Napi::Object range = Napi::Object::New(env);
    range.Set("min", static_cast<double>(limit.min));
    range.Set("max", static_cast<double>(limit.max));
    limits.Set(limit.field, Frozen(range));
  }
  return Frozen(limits);
}

void InitContract(Napi::Env env, Napi::Object exports) {
  exports.Set("dataPlaneConfigLimits", Limits(env));
  Napi::Object enums = Napi::Object::New(env);
  enums.Set("protocols", NameList(env, kProtocolNames));
  enums.Set("relayModes", NameList(env, kRelayModeNames));
  enums.Set("fastPathModes", NameList(env, kFastPathModeNames));
  enums.Set("collisionPolicies", NameList(env, kCollisionPolicyNames));
  enums.Set("udpHeaderModes", NameList(env, kUdpHeaderModeNames));
  enums.Set("failureReasons", FailureReasons(env));
  enums.Set("flowStates", NameList(env, kFlowStateNames));
  enums.Set("eventLevels", NameList(env, kLevelNames));
  enums.Set("eventKinds", NameList(env, kEventKindNames));
  exports.Set("dataPlaneEnums", Frozen(enums));
  // What ConfigFromJs takes for an optional field left out.
  Napi::Object defaults = Napi::Object::New(env);
  defaults.Set("fastPathAfterReads", static_cast<double>(kDefaultFastPathAfterReads));
  exports.Set("dataPlaneDefaults", Frozen(defaults));
}

const RegisterExports registered(InitContract);

}  // namespace
}  // namespace mmproxy::dataplane
