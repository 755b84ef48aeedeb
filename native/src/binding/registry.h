// Each part of the addon (codec, data plane, probes) registers the function
// that adds its exports. The module entry point calls them all, so a new part
// is one new file and no edit elsewhere.
#pragma once

#include <napi.h>

#include <vector>

namespace mmproxy {

using ExportInit = void (*)(Napi::Env env, Napi::Object exports);

// Function-local static: safe to use from other translation units' static
// initialisers, whatever order the linker puts them in.
inline std::vector<ExportInit>& export_inits() {
  static std::vector<ExportInit> inits;
  return inits;
}

struct RegisterExports {
  explicit RegisterExports(ExportInit init) { export_inits().push_back(init); }
};

}  // namespace mmproxy
