// The data plane's configuration in C++ form, converted once from the
// TypeScript DataPlaneConfig (src/native/dataplane-types.ts).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dataplane/address.h"

namespace mmproxy::dataplane {

// How bytes are moved once a flow is established.
enum class RelayMode : uint8_t {
  kAuto,    // read/write for small messages, splice(2) once a read fills the buffer
  kSplice,  // splice(2) for everything
  kCopy,    // read/write only (also the fallback when splice is unsupported)
};

struct Config {
  Address listen;
  std::optional<Address> target4;
  std::optional<Address> target6;
  unsigned mark = 0;
  std::vector<std::string> allowed_subnets;
  unsigned listeners = 1;
  unsigned header_timeout_ms = 5000;
  unsigned connect_timeout_ms = 5000;
  unsigned max_connections = 0;  // 0: no limit
  bool dynamic_destination = false;
  bool listen_transparent = false;
  RelayMode relay_mode = RelayMode::kAuto;
  // Debug-level events (one per closed flow); off spares the work per flow.
  bool debug_events = false;
};

}  // namespace mmproxy::dataplane
