// One outbound TCP connect, optionally from a spoofed source address: the
// doctor's evidence that replies to a spoofed client find their way back.
#pragma once

#include <cstdint>
#include <string>

namespace mmproxy::probe {

struct ConnectRequest {
  std::string source_address;  // empty: let the kernel choose
  int source_port = 0;
  std::string target_address;
  int target_port = 0;
  bool transparent = false;
  uint32_t mark = 0;  // 0 leaves SO_MARK unset
  int timeout_ms = 0;
};

enum class ConnectOutcome { kConnected, kRefused, kTimeout, kError };

struct ConnectResult {
  ConnectOutcome outcome = ConnectOutcome::kError;
  int errnum = 0;       // 0 unless the outcome is refused or error
  std::string syscall;  // the call that failed, for errors
  int local_port = 0;   // the port the socket connected from; 0 when it never got one
  double elapsed_ms = 0;
};

// Blocks for at most request.timeout_ms (plus socket set-up). Never throws.
ConnectResult RunConnectProbe(const ConnectRequest& request);

const char* OutcomeName(ConnectOutcome outcome);

}  // namespace mmproxy::probe
