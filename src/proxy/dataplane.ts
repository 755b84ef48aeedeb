/**
 * The native TCP data plane behind its TypeScript contract. The control plane
 * builds a validated DataPlaneConfig and gets back an object whose threads
 * run until close().
 */
import { native } from '../native/addon.js';
import type { DataPlane, DataPlaneConfig } from '../native/dataplane-types.js';
import type { DataPlaneEvent } from '../base/flows.js';

export function createDataPlane(config: DataPlaneConfig, onEvents: (events: DataPlaneEvent[]) => void): DataPlane {
  return new (native().DataPlane)(config, onEvents);
}
