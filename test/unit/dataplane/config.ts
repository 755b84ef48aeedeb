/** A DataPlaneConfig the data plane accepts on loopback (port 0: the kernel picks), for the unit tests to vary. */
import type { DataPlaneConfig } from '../../../src/native/dataplane-types.js';
import { dataPlaneConfig } from '../../support/dataplane-config.js';

export function validConfig(overrides: Partial<DataPlaneConfig> = {}): DataPlaneConfig {
  return dataPlaneConfig({
    listen: { family: 4, address: '127.0.0.1', port: 0 },
    target4: { family: 4, address: '127.0.0.1', port: 9 },
    target6: null,
    headerTimeoutMs: 1000,
    connectTimeoutMs: 1000,
    ...overrides,
  });
}
