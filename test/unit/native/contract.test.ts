/**
 * The TypeScript/C++ contract held as code: what the addon exports about the
 * data plane (its config's ranges, its enumerations) equals what TypeScript
 * declares, exactly. Each `Record<Union, true>` below must name every member
 * of its union and nothing else, or the file does not compile; the test then
 * holds those members equal to the addon's list.
 */
import { deepStrictEqual } from 'node:assert/strict';

import { DATA_PLANE_LIMITS, type DataPlaneLimitField } from '../../../src/base/dataplane-limits.js';
import {
  COLLISION_POLICIES,
  FAILURE_REASONS,
  FAST_PATH_AFTER_READS,
  FAST_PATH_MODES,
  RELAY_MODES,
  UDP_HEADER_MODES,
  type DataPlaneEventKind,
  type DataPlaneEventLevel,
  type FailureReason,
  type FlowState,
} from '../../../src/base/flows.js';
import { native } from '../../../src/native/addon.js';
import type { DataPlaneConfig } from '../../../src/native/dataplane-types.js';

const PROTOCOLS: Record<DataPlaneConfig['protocol'], true> = { tcp: true, udp: true };
const FLOW_STATES: Record<FlowState, true> = {
  header: true,
  connecting: true,
  established: true,
  half_closed: true,
  closing: true,
};
const EVENT_LEVELS: Record<DataPlaneEventLevel, true> = { error: true, warn: true, info: true, debug: true };
const EVENT_KINDS_BEYOND_FAILURES: Record<Exclude<DataPlaneEventKind, FailureReason>, true> = {
  listening: true,
  accept_error: true,
  accept_backoff: true,
  worker_error: true,
  flow_closed: true,
  closed_before_header: true,
  collision_fallback: true,
  datagram_dropped: true,
  session_evicted: true,
};

function sorted(names: readonly string[]): string[] {
  return [...names].sort();
}

describe('the TypeScript/C++ contract', () => {
  const { dataPlaneConfigLimits: limits, dataPlaneEnums: enums, dataPlaneDefaults: defaults } = native();

  it("has the data plane's ranges in TypeScript as the addon enforces them, field by field", () => {
    deepStrictEqual(sorted(Object.keys(limits)), sorted(Object.keys(DATA_PLANE_LIMITS)), 'the same fields');
    for (const field of Object.keys(DATA_PLANE_LIMITS) as DataPlaneLimitField[]) {
      deepStrictEqual({ ...limits[field] }, { ...DATA_PLANE_LIMITS[field] }, field);
    }
  });

  it('lists the failure reasons, collision policies, relay modes and UDP header modes in the same order on both sides', () => {
    deepStrictEqual([...enums.failureReasons], [...FAILURE_REASONS]);
    deepStrictEqual([...enums.collisionPolicies], [...COLLISION_POLICIES]);
    deepStrictEqual([...enums.relayModes], [...RELAY_MODES]);
    deepStrictEqual([...enums.fastPathModes], [...FAST_PATH_MODES]);
    deepStrictEqual([...enums.udpHeaderModes], [...UDP_HEADER_MODES]);
  });

  it("takes the flags' default for a config's fastPathAfterReads left out", () => {
    deepStrictEqual({ ...defaults }, { fastPathAfterReads: FAST_PATH_AFTER_READS });
  });

  it("has every literal-union type equal to the addon's list", () => {
    deepStrictEqual(sorted(enums.protocols), sorted(Object.keys(PROTOCOLS)), 'protocols');
    deepStrictEqual(sorted(enums.flowStates), sorted(Object.keys(FLOW_STATES)), 'flow states');
    deepStrictEqual(sorted(enums.eventLevels), sorted(Object.keys(EVENT_LEVELS)), 'event levels');
    deepStrictEqual(sorted(enums.eventKinds), sorted(Object.keys(EVENT_KINDS_BEYOND_FAILURES)), 'event kinds');
  });
});
