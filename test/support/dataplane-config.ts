/**
 * A DataPlaneConfig the data plane accepts, for tests to vary: TCP on
 * 0.0.0.0:8000, both targets on loopback port 7000, 5 s timeouts, no limits.
 * Used by the namespace harness and, with loopback overrides, the unit tests.
 */
import type { DataPlaneConfig } from '../../src/native/dataplane-types.js';

export function dataPlaneConfig(overrides: Partial<DataPlaneConfig> = {}): DataPlaneConfig {
  return {
    protocol: 'tcp',
    listen: { family: 4, address: '0.0.0.0', port: 8000 },
    target4: { family: 4, address: '127.0.0.1', port: 7000 },
    target6: { family: 6, address: '::1', port: 7000 },
    mark: 0,
    allowedSubnets: [],
    listeners: 2,
    headerTimeoutMs: 5000,
    connectTimeoutMs: 5000,
    maxConnections: 0,
    dynamicDestination: false,
    listenTransparent: false,
    closeAfterSeconds: 0,
    maxSessions: 0,
    // MMPROXY_TEST_FAST_PATH=auto runs every data plane suite with the in-kernel fast path (not in CI).
    // Every flow moved as soon as it is drained (fastPathAfterReads 0), so short test flows take the path too.
    ...(process.env.MMPROXY_TEST_FAST_PATH === 'auto' && { fastPath: 'auto' as const, fastPathAfterReads: 0 }),
    ...overrides,
  };
}
