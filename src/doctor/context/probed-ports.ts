/**
 * Which ports of a target range the probes try. Each probe is two connects
 * (plain and spoofed) that may each wait out the probe timeout, so a range is
 * probed on every port only while it is small; a longer one on this many
 * ports spread evenly from its first to its last (docs/doctor.md).
 */
import type { Endpoint } from '../../base/net/endpoint.js';
import { spanEndpoints, spanSize, type PortSpan } from '../../base/net/port-span.js';

// Probes run on libuv's 4 threads: 8 ports of two families whose spoofed connects all time out take 4 waves of the
// probe timeout (2 s at 500 ms), well inside the check timeout (../runner.ts).
export const MAX_PROBED_PORTS = 8;

export function probedEndpoints(span: PortSpan): Endpoint[] {
  const size = spanSize(span);
  if (size <= MAX_PROBED_PORTS) return spanEndpoints(span);
  const step = (size - 1) / (MAX_PROBED_PORTS - 1);
  return Array.from({ length: MAX_PROBED_PORTS }, (_, i) => ({
    family: span.family,
    address: span.address,
    port: span.port + Math.round(i * step),
  }));
}
