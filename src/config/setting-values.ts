/**
 * The meaning, range and message of each kind of value the proxy takes, once:
 * a flag and its key in the config file are read by these same functions.
 * Each takes the text as written (a flag's value, or a file value as its
 * source text) and throws SettingError with what is wrong; the caller says
 * where it was written (`-mark: ...`, `mmproxy.toml:7:8: mark: ...`).
 */
import { DATA_PLANE_LIMITS, type IntegerRange } from '../base/dataplane-limits.js';
import {
  COLLISION_POLICIES,
  FAST_PATH_MODES,
  RELAY_MODES,
  UDP_HEADER_MODES,
  type CollisionPolicy,
  type FastPathMode,
  type RelayMode,
  type UdpHeaderMode,
} from '../base/flows.js';
import { DestinationRuleError, parseDestinationRules, type DestinationRule } from '../base/net/destination-rule.js';
import { EndpointError, parseListenAddress } from '../base/net/endpoint.js';
import { parsePortSpan, spanSize, type PortSpan } from '../base/net/port-span.js';
import { formatDurationMs, parseDurationMs, parseGoInteger } from '../base/numbers.js';

export class SettingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SettingError';
  }
}

/** -v: any level above 2 means "everything", as in go-mmproxy. */
const VERBOSITY: IntegerRange = { min: 0, max: Number.MAX_SAFE_INTEGER };
/** The control plane's own wait, so not in the data plane's table; at most a day, like the timeouts there. */
export const DRAIN_TIMEOUT_MS: IntegerRange = { min: 0, max: 24 * 3_600_000 };
/**
 * Ports in one listen range. Each port is one socket per worker thread, so a
 * range is bounded like the open-files limit it spends.
 */
export const MAX_RANGE_PORTS = 1024;

export type LogFormat = 'text' | 'json';
export type Verbosity = 0 | 1 | 2;

function asSettingError<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof EndpointError) throw new SettingError(error.message);
    throw error;
  }
}

/** A Go-style integer within `range` (most from the data plane's table, ../base/dataplane-limits.ts). */
export function integer(written: string, range: IntegerRange): number {
  const value = parseGoInteger(written);
  if (value === null || value < range.min || value > range.max) {
    throw new SettingError(`"${written}" must be a whole number from ${range.min} to ${range.max}`);
  }
  return value;
}

/** Whole milliseconds within `range`. */
export function duration(written: string, range: IntegerRange): number {
  const ms = parseDurationMs(written);
  if (ms === null || ms < range.min || ms > range.max) {
    throw new SettingError(
      `"${written}" must be a duration like 5, 2.5s, 500ms or 1m, ` +
        `from ${formatDurationMs(range.min)} to ${formatDurationMs(range.max)}`,
    );
  }
  return ms;
}

/** Keepalive times are whole seconds in the kernel. */
export function keepAliveSeconds(written: string): number {
  const ms = parseDurationMs(written);
  const { min, max } = DATA_PLANE_LIMITS.keepAliveSeconds;
  if (ms === null || ms % 1000 !== 0 || ms / 1000 < min || ms / 1000 > max) {
    throw new SettingError(`"${written}" must be whole seconds from ${min} (off) to ${max}, like 15 or 2m`);
  }
  return ms / 1000;
}

export function oneOf<T extends string>(written: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(written)) {
    throw new SettingError(`"${written}" must be one of ${choices.join(', ')}`);
  }
  return written as T;
}

export const collisionPolicy = (written: string): CollisionPolicy => oneOf(written, COLLISION_POLICIES);
export const relayMode = (written: string): RelayMode => oneOf(written, RELAY_MODES);
export const fastPathMode = (written: string): FastPathMode => oneOf(written, FAST_PATH_MODES);
export const udpHeaderMode = (written: string): UdpHeaderMode => oneOf(written, UDP_HEADER_MODES);

/** Like go-mmproxy, any level above 2 means "everything". */
export function verbosity(written: string): Verbosity {
  return Math.min(integer(written, VERBOSITY), 2) as Verbosity;
}

/** Where the proxy listens: one port, or a range of them. */
export function listenSpan(written: string): PortSpan {
  return asSettingError(() => parsePortSpan(written, MAX_RANGE_PORTS));
}

/** A target of one family, or null for "none" (that family's clients are refused). */
export function target(written: string, family: 4 | 6): PortSpan | null {
  if (written.trim() === 'none') return null;
  const span = asSettingError(() => parsePortSpan(written, MAX_RANGE_PORTS));
  if (span.family !== family) throw new SettingError(`the IPv${family} target must be an IPv${family} address`);
  return span;
}

/** A target range must be as long as the listen range it follows; a single port serves every listen port. */
export function targetRangeProblem(listen: PortSpan, target: PortSpan): string | null {
  const [targetPorts, listenPorts] = [spanSize(target), spanSize(listen)];
  if (targetPorts === 1 || targetPorts === listenPorts) return null;
  if (listenPorts === 1) return `the target has ${targetPorts} ports and the listen address one: give one target port`;
  return (
    `the target range has ${targetPorts} ports and the listen range ${listenPorts}: give a range of ` +
    `${listenPorts} ports (the n-th listen port goes to the n-th target port) or a single port`
  );
}

export function path(written: string): string {
  if (written.trim() === '') throw new SettingError('needs a file path');
  return written;
}

/** Checked when read, so that a mistake is a usage error (exit 2), not a start failure. */
export function metricsAddress(written: string): string {
  asSettingError(() => parseListenAddress(written));
  return written;
}

/** --dynamic-destination-allow: "PREFIX[:PORTS],..." (../base/net/destination-rule.ts). */
export function destinationRules(written: string): DestinationRule[] {
  try {
    return parseDestinationRules(written);
  } catch (error) {
    if (error instanceof DestinationRuleError) throw new SettingError(error.message);
    throw error;
  }
}
