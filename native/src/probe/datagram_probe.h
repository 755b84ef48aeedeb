// One UDP exchange, optionally from a spoofed source address: the doctor's
// evidence that an app's replies to a spoofed client come back from the
// address the proxy sent to (a wildcard-bound app may answer from another).
#pragma once

#include "probe/connect_probe.h"

namespace mmproxy::probe {

// The probe's one datagram. Any app may ignore it; the doctor sends the same
// bytes unspoofed beside it, so silence to both means "no answer", not "lost".
inline constexpr char kDatagramProbePayload[] = "mmproxy doctor probe\n";

// Connects a UDP socket to the target (so only datagrams from the target's
// address and port are received), sends kDatagramProbePayload and waits for
// one datagram back. kConnected: a reply arrived; kRefused: ICMP port
// unreachable; kTimeout: nothing within request.timeout_ms. Never throws.
ConnectResult RunDatagramProbe(const ConnectRequest& request);

}  // namespace mmproxy::probe
