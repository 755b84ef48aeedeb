// The data plane's values as the JavaScript objects of src/base/flows.ts
// (FlowRecord, DataPlaneCounters, DataPlaneEvent). JavaScript thread only.
#pragma once

#include <napi.h>

#include <optional>

#include "dataplane/shared/counters.h"
#include "dataplane/shared/event.h"
#include "dataplane/shared/flow_registry.h"
#include "os/address.h"

namespace mmproxy::dataplane {

// An Endpoint, or null.
Napi::Value EndpointValue(Napi::Env env, const std::optional<Address>& address);
// A FlowRecord.
Napi::Object FlowObject(Napi::Env env, const FlowSnapshot& flow);
// DataPlaneCounters; `active` is the shared open-connection count.
Napi::Object CountersObject(Napi::Env env, const CounterTotals& totals, int64_t active);
// A DataPlaneEvent.
Napi::Object EventObject(Napi::Env env, const Event& event);

}  // namespace mmproxy::dataplane
