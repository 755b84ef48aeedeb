#include "binding/registry.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  for (mmproxy::ExportInit init : mmproxy::export_inits()) init(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(mmproxy_native, Init)
