/**
 * Turns the raw flag strings into checked, typed proxy options. Every mistake
 * is a UsageError naming the flag as the user wrote it (exit code 2). The
 * flags that fill the data plane's config take their ranges from the table
 * the data plane enforces (../base/dataplane-limits.ts).
 */
import { availableParallelism } from 'node:os';

import { DATA_PLANE_LIMITS as LIMITS, type IntegerRange } from '../base/dataplane-limits.js';
import { UsageError } from '../base/errors.js';
import { COLLISION_POLICIES, type CollisionPolicy } from '../base/flows.js';
import { EndpointError, parseEndpoint, parseListenAddress, type Endpoint } from '../base/net/endpoint.js';
import { formatDurationMs, parseDurationMs, parseGoInteger } from '../base/numbers.js';
import { PROXY_FLAGS, type RawProxyFlags } from './proxy-flags.js';

export type LogFormat = 'text' | 'json';
export type Verbosity = 0 | 1 | 2;

export interface ProxyOptions {
  protocol: 'tcp' | 'udp';
  listen: Endpoint;
  /** Null for `-4 none`: IPv4 clients are refused (and the doctor checks no IPv4 target). */
  target4: Endpoint | null;
  /** Null for `-6 none`. */
  target6: Endpoint | null;
  mark: number;
  allowedSubnetsFile: string | null;
  listeners: number;
  closeAfterSeconds: number;
  verbosity: Verbosity;
  dynamicDestination: boolean;
  listenTransparent: boolean;
  reusePort: boolean;
  headerTimeoutMs: number;
  connectTimeoutMs: number;
  keepAliveSeconds: number;
  maxConnections: number;
  maxSessions: number;
  collision: CollisionPolicy;
  drainTimeoutMs: number;
  logFormat: LogFormat;
  statsSocket: string | null;
  metricsListen: string | null;
}

/** -v: any level above 2 means "everything", as in go-mmproxy. */
const VERBOSITY: IntegerRange = { min: 0, max: Number.MAX_SAFE_INTEGER };
/** The control plane's own wait, so not in the data plane's table; at most a day, like the timeouts there. */
const DRAIN_TIMEOUT_MS: IntegerRange = { min: 0, max: 24 * 3_600_000 };

/** Go's flag package keeps the last of repeated flags; yargs collects them in an array. */
function last<T>(value: T | T[] | undefined): T | undefined {
  return Array.isArray(value) ? value[value.length - 1] : value;
}

/** The flag as written, else its default from ./flags.ts, else undefined. */
function text(raw: RawProxyFlags, name: keyof RawProxyFlags): string | undefined {
  const value = last(raw[name]);
  if (typeof value === 'string') return value;
  const flag = PROXY_FLAGS[name];
  return 'default' in flag && typeof flag.default === 'string' ? flag.default : undefined;
}

function listenOrTarget(raw: RawProxyFlags, name: 'listen' | 'target4' | 'target6', flag: string): Endpoint {
  try {
    return parseEndpoint(text(raw, name) ?? '');
  } catch (error) {
    if (error instanceof EndpointError) throw new UsageError(`${flag}: ${error.message}`);
    throw error;
  }
}

function integer(raw: RawProxyFlags, name: keyof RawProxyFlags, flag: string, range: IntegerRange): number {
  const written = text(raw, name) ?? '';
  const value = parseGoInteger(written);
  if (value === null || value < range.min || value > range.max) {
    throw new UsageError(`${flag}: "${written}" must be a whole number from ${range.min} to ${range.max}`);
  }
  return value;
}

/** Whole milliseconds within `range`. */
function duration(raw: RawProxyFlags, name: keyof RawProxyFlags, flag: string, range: IntegerRange): number {
  const written = text(raw, name) ?? '';
  const ms = parseDurationMs(written);
  if (ms === null || ms < range.min || ms > range.max) {
    throw new UsageError(
      `${flag}: "${written}" must be a duration like 5, 2.5s, 500ms or 1m, ` +
        `from ${formatDurationMs(range.min)} to ${formatDurationMs(range.max)}`,
    );
  }
  return ms;
}

/** Keepalive times are whole seconds in the kernel. */
function keepAliveSeconds(raw: RawProxyFlags): number {
  const written = text(raw, 'keepalive') ?? '';
  const ms = parseDurationMs(written);
  const { min, max } = LIMITS.keepAliveSeconds;
  if (ms === null || ms % 1000 !== 0 || ms / 1000 < min || ms / 1000 > max) {
    throw new UsageError(`--keepalive: "${written}" must be whole seconds from ${min} (off) to ${max}, like 15 or 2m`);
  }
  return ms / 1000;
}

function oneOf<T extends string>(raw: RawProxyFlags, name: keyof RawProxyFlags, flag: string, choices: T[]): T {
  const written = text(raw, name) ?? '';
  if (!(choices as string[]).includes(written)) {
    throw new UsageError(`${flag}: "${written}" must be one of ${choices.join(', ')}`);
  }
  return written as T;
}

/** Checked here so that a mistake is a usage error (exit 2), not a start failure. */
function metricsAddress(raw: RawProxyFlags): string | null {
  const address = optionalPath(raw, 'metrics-listen', '--metrics-listen');
  if (address === null) return null;
  try {
    parseListenAddress(address);
  } catch (error) {
    if (error instanceof EndpointError) throw new UsageError(`--metrics-listen ${error.message}`);
    throw error;
  }
  return address;
}

/** A target of one family, or null for "none" (that family's clients are refused). */
function target(raw: RawProxyFlags, name: 'target4' | 'target6', family: 4 | 6): Endpoint | null {
  const flag = `-${family}`;
  if (text(raw, name)?.trim() === 'none') return null;
  const endpoint = listenOrTarget(raw, name, flag);
  if (endpoint.family !== family) {
    throw new UsageError(`${flag}: the IPv${family} target must be an IPv${family} address`);
  }
  return endpoint;
}

function optionalPath(raw: RawProxyFlags, name: keyof RawProxyFlags, flag: string): string | null {
  const value = text(raw, name);
  if (value === undefined) return null;
  if (value.trim() === '') throw new UsageError(`${flag}: needs a file path`);
  return value;
}

/** Checks every flag; a missing flag takes its default from ./flags.ts. */
export function parseProxyOptions(raw: RawProxyFlags): ProxyOptions {
  const verbose = integer(raw, 'verbose', '-v', VERBOSITY);
  const dynamicDestination = last(raw['dynamic-destination']) === true;
  const [target4, target6] = [target(raw, 'target4', 4), target(raw, 'target6', 6)];
  if (!target4 && !target6 && !dynamicDestination) {
    throw new UsageError('-4 none and -6 none: there is nowhere to forward to; give a target for at least one family');
  }
  return {
    protocol: oneOf(raw, 'protocol', '-p', ['tcp', 'udp']),
    listen: listenOrTarget(raw, 'listen', '-l'),
    target4,
    target6,
    mark: integer(raw, 'mark', '-mark', LIMITS.mark),
    allowedSubnetsFile: optionalPath(raw, 'allowed-subnets', '-allowed-subnets'),
    listeners:
      text(raw, 'listeners') === undefined
        ? availableParallelism()
        : integer(raw, 'listeners', '-listeners', LIMITS.listeners),
    closeAfterSeconds: integer(raw, 'close-after', '-close-after', LIMITS.closeAfterSeconds),
    // Like go-mmproxy, any level above 2 means "everything".
    verbosity: Math.min(verbose, 2) as Verbosity,
    dynamicDestination,
    listenTransparent: last(raw['listen-transparent']) === true,
    reusePort: last(raw['reuse-port']) === true,
    headerTimeoutMs: duration(raw, 'header-timeout', '--header-timeout', LIMITS.headerTimeoutMs),
    connectTimeoutMs: duration(raw, 'connect-timeout', '--connect-timeout', LIMITS.connectTimeoutMs),
    keepAliveSeconds: keepAliveSeconds(raw),
    maxConnections: integer(raw, 'max-connections', '--max-connections', LIMITS.maxConnections),
    maxSessions: integer(raw, 'max-sessions', '--max-sessions', LIMITS.maxSessions),
    collision: oneOf(raw, 'collision', '--collision', [...COLLISION_POLICIES]),
    drainTimeoutMs: duration(raw, 'drain-timeout', '--drain-timeout', DRAIN_TIMEOUT_MS),
    logFormat: oneOf(raw, 'log-format', '--log-format', ['text', 'json']),
    statsSocket: optionalPath(raw, 'stats-socket', '--stats-socket'),
    metricsListen: metricsAddress(raw),
  };
}
