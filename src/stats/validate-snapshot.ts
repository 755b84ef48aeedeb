/**
 * A snapshot read from a socket is input from another process (the proxy's
 * user, or whoever bound the path): before anything acts on it (the doctor
 * turns `proxy` into ip commands run as root), its `proxy` part and its
 * failure counters are checked against the schema, strictly: addresses are
 * numeric IPs in the canonical text src/base gives them, ports and marks are
 * integers in the data plane's ranges, names are from their known lists.
 * Listeners (added within version 1) are checked the same way, named as a
 * config file names them, at most as many as a config file may hold.
 * A value that is not exactly what a proxy sends is refused, never repaired.
 */
import { DATA_PLANE_LIMITS, type IntegerRange } from '../base/dataplane-limits.js';
import { FAILURE_REASONS, UDP_HEADER_MODES } from '../base/flows.js';
import { LISTENER_NAME, MAX_LISTENERS } from '../base/listener-names.js';
import { formatCidr, parseCidr } from '../base/net/cidr.js';
import { formatIp, parseIp } from '../base/net/ip.js';
import type { Endpoint } from '../base/net/endpoint.js';
import type { BuildInfo } from '../base/package-info.js';
import { StatsClientError } from './client-errors.js';
import type { ListenerSnapshot, ProxyInfo } from './schema.js';

/** The largest count a counter may hold and still be an exact JavaScript number. */
const COUNT_RANGE: IntegerRange = { min: 0, max: Number.MAX_SAFE_INTEGER };
/** Linux pids are below 2^22. */
const PID_RANGE: IntegerRange = { min: 1, max: 4_194_304 };
/** Longer text than any field of a real snapshot holds. */
const MAX_TEXT = 200;

class SnapshotFieldError extends Error {}

function shown(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}

function fail(path: string, value: unknown, expected: string): never {
  throw new SnapshotFieldError(`${path} is ${shown(value)}, expected ${expected}`);
}

function record(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(path, value, 'an object');
  return value as Record<string, unknown>;
}

function integer(value: unknown, path: string, range: IntegerRange): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < range.min || value > range.max) {
    fail(path, value, `an integer from ${range.min} to ${range.max}`);
  }
  return value;
}

function boolean(value: unknown, path: string): boolean {
  if (typeof value !== 'boolean') fail(path, value, 'true or false');
  return value;
}

function oneOf<T extends string>(value: unknown, path: string, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    fail(path, value, `one of ${allowed.join(', ')}`);
  }
  return value as T;
}

function text(value: unknown, path: string): string {
  if (typeof value !== 'string' || value.length > MAX_TEXT) fail(path, value, 'a short string');
  return value;
}

/** A host name as the kernel keeps it: letters, digits, dots, dashes and underscores, at most 64 bytes. */
const HOST_NAME = /^[A-Za-z0-9._-]{1,64}$/;

function hostNameField(value: unknown): string {
  if (typeof value !== 'string' || !HOST_NAME.test(value)) fail('proxy.host', value, 'a host name');
  return value;
}

function endpoint(value: unknown, path: string): Endpoint {
  const fields = record(value, path);
  const family = fields['family'];
  if (family !== 4 && family !== 6) fail(`${path}.family`, family, '4 or 6');
  const address = fields['address'];
  const ip = typeof address === 'string' ? parseIp(address) : null;
  if (!ip || ip.family !== family || formatIp(ip) !== address) {
    fail(`${path}.address`, address, `a numeric IPv${family} address`);
  }
  return { family, address: address, port: integer(fields['port'], `${path}.port`, DATA_PLANE_LIMITS.port) };
}

function optionalEndpoint(value: unknown, path: string): Endpoint | null {
  return value === null ? null : endpoint(value, path);
}

function cidr(value: unknown, path: string): string {
  let canonical: string | null = null;
  try {
    canonical = typeof value === 'string' ? formatCidr(parseCidr(value)) : null;
  } catch {
    // Reported below, with the path.
  }
  if (canonical === null || canonical !== value) fail(path, value, 'a prefix like 192.0.2.0/24');
  return canonical;
}

function config(value: unknown, path: string): ProxyInfo['config'] {
  const fields = record(value, path);
  const limit = (name: keyof typeof DATA_PLANE_LIMITS & keyof ProxyInfo['config']): number =>
    integer(fields[name], `${path}.${name}`, DATA_PLANE_LIMITS[name]);
  const subnets = fields['allowedSubnets'];
  if (!Array.isArray(subnets)) fail(`${path}.allowedSubnets`, subnets, 'a list of prefixes');
  const udpHeader = fields['udpHeader'];
  return {
    listeners: limit('listeners'),
    mark: limit('mark'),
    allowedSubnets: subnets.map((subnet, i) => cidr(subnet, `${path}.allowedSubnets[${i}]`)),
    dynamicDestination: boolean(fields['dynamicDestination'], `${path}.dynamicDestination`),
    listenTransparent: boolean(fields['listenTransparent'], `${path}.listenTransparent`),
    headerTimeoutMs: limit('headerTimeoutMs'),
    connectTimeoutMs: limit('connectTimeoutMs'),
    maxConnections: limit('maxConnections'),
    closeAfterSeconds: limit('closeAfterSeconds'),
    maxSessions: limit('maxSessions'),
    ...(udpHeader === undefined ? {} : { udpHeader: oneOf(udpHeader, `${path}.udpHeader`, UDP_HEADER_MODES) }),
  };
}

function proxyInfo(value: unknown): ProxyInfo {
  const fields = record(value, 'proxy');
  const targets = record(fields['targets'], 'proxy.targets');
  const uptime = fields['uptimeSeconds'];
  if (typeof uptime !== 'number' || !(uptime >= 0 && uptime <= COUNT_RANGE.max)) {
    fail('proxy.uptimeSeconds', uptime, 'a number of seconds');
  }
  return {
    pid: integer(fields['pid'], 'proxy.pid', PID_RANGE),
    protocol: oneOf(fields['protocol'], 'proxy.protocol', ['tcp', 'udp'] as const),
    listen: endpoint(fields['listen'], 'proxy.listen'),
    targets: {
      ipv4: optionalEndpoint(targets['ipv4'], 'proxy.targets.ipv4'),
      ipv6: optionalEndpoint(targets['ipv6'], 'proxy.targets.ipv6'),
    },
    startedAt: text(fields['startedAt'], 'proxy.startedAt'),
    uptimeSeconds: uptime,
    config: config(fields['config'], 'proxy.config'),
    ...(fields['build'] === undefined ? {} : { build: build(fields['build']) }),
    ...(fields['host'] === undefined ? {} : { host: hostNameField(fields['host']) }),
  };
}

function build(value: unknown): BuildInfo {
  const fields = record(value, 'proxy.build');
  const commit = fields['commit'];
  return {
    version: text(fields['version'], 'proxy.build.version'),
    commit: commit === null ? null : text(commit, 'proxy.build.commit'),
    node: text(fields['node'], 'proxy.build.node'),
  };
}

function failures(value: unknown, path: string): void {
  const fields = record(value, path);
  // Reasons added within version 1 are missing from older proxies' snapshots; connect_timeout never is.
  for (const reason of FAILURE_REASONS) {
    if (reason === 'connect_timeout' || fields[reason] !== undefined) {
      integer(fields[reason], `${path}.${reason}`, COUNT_RANGE);
    }
  }
}

/** The counts `mmproxy top` shows of a listener, and its failures; the rest is passed on as sent. */
function listenerCounters(value: unknown, path: string): ListenerSnapshot['counters'] {
  const fields = record(value, path);
  for (const name of ['accepted', 'established', 'active', 'completed', 'bytesToTarget', 'bytesToClient']) {
    integer(fields[name], `${path}.${name}`, COUNT_RANGE);
  }
  const rate = record(fields['rate'], `${path}.rate`);
  integer(rate['toTarget'], `${path}.rate.toTarget`, COUNT_RANGE);
  integer(rate['toClient'], `${path}.rate.toClient`, COUNT_RANGE);
  failures(fields['failures'], `${path}.failures`);
  return fields as unknown as ListenerSnapshot['counters'];
}

function listener(value: unknown, path: string): ListenerSnapshot {
  const fields = record(value, path);
  const name = fields['name'];
  if (typeof name !== 'string' || !LISTENER_NAME.test(name)) {
    fail(`${path}.name`, name, 'a listener name (letters, digits, . _ -, at most 63)');
  }
  const listen = endpoint(fields['listen'], `${path}.listen`);
  const targets = record(fields['targets'], `${path}.targets`);
  return {
    name,
    protocol: oneOf(fields['protocol'], `${path}.protocol`, ['tcp', 'udp'] as const),
    listen,
    lastPort: integer(fields['lastPort'], `${path}.lastPort`, { min: listen.port, max: DATA_PLANE_LIMITS.port.max }),
    targets: {
      ipv4: optionalEndpoint(targets['ipv4'], `${path}.targets.ipv4`),
      ipv6: optionalEndpoint(targets['ipv6'], `${path}.targets.ipv6`),
    },
    config: config(fields['config'], `${path}.config`),
    state: oneOf(fields['state'], `${path}.state`, ['serving', 'draining'] as const),
    counters: listenerCounters(fields['counters'], `${path}.counters`),
  };
}

/** Absent in snapshots of proxies from before listeners; else at most a config's worth, each named once. */
function listeners(value: unknown): ListenerSnapshot[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length > MAX_LISTENERS) {
    fail('listeners', Array.isArray(value) ? `${value.length} listeners` : value, `at most ${MAX_LISTENERS}`);
  }
  const checked = value.map((entry, i) => listener(entry, `listeners[${i}]`));
  const seen = new Set<string>();
  checked.forEach(({ name }, i) => {
    if (seen.has(name)) fail(`listeners[${i}].name`, name, 'a name no other listener has');
    seen.add(name);
  });
  return checked;
}

/** A flow's listener, where the snapshot has both, is one of the listeners. */
function flowListeners(flows: unknown, known: ListenerSnapshot[] | undefined): void {
  if (!known || !Array.isArray(flows)) return;
  const names = new Set(known.map(({ name }) => name));
  flows.forEach((flow, i) => {
    const name = record(flow, `flows[${i}]`)['listener'];
    if (name !== undefined && (typeof name !== 'string' || !names.has(name))) {
      fail(`flows[${i}].listener`, name, 'the name of one of the listeners');
    }
  });
}

export interface CheckedFields {
  proxy: ProxyInfo;
  listeners?: ListenerSnapshot[];
}

/**
 * Checks the parts of a snapshot that readers act on; throws a protocol
 * StatsClientError naming the first field that is wrong.
 */
export function validateSnapshotFields(snapshot: {
  proxy?: unknown;
  counters?: unknown;
  listeners?: unknown;
  flows?: unknown;
}): CheckedFields {
  try {
    const proxy = proxyInfo(snapshot.proxy);
    failures(record(snapshot.counters, 'counters')['failures'], 'counters.failures');
    const checked = listeners(snapshot.listeners);
    flowListeners(snapshot.flows, checked);
    return { proxy, ...(checked ? { listeners: checked } : {}) };
  } catch (error) {
    if (!(error instanceof SnapshotFieldError)) throw error;
    throw new StatsClientError(
      'protocol',
      `the stats snapshot is malformed (${error.message}); nothing was done with it. ` +
        'Is the socket an mmproxy of the same release? Check who owns it (ls -l)',
    );
  }
}
