/**
 * The proxy's configuration as the doctor sees it: the same flags and
 * defaults as `mmproxy` (and go-mmproxy), so `mmproxy doctor -4 127.0.0.2:80`
 * checks exactly the setup `mmproxy -4 127.0.0.2:80` would run.
 */
import { isIP } from 'node:net';

import { UsageError } from '../../cli/usage-error.js';

export interface HostPort {
  family: 4 | 6;
  address: string;
  port: number;
}

export interface ProxySetup {
  listen: HostPort;
  target4: HostPort | null;
  target6: HostPort | null;
  protocol: 'tcp' | 'udp';
  /** SO_MARK on upstream sockets; 0 when unset. */
  mark: number;
  allowedSubnetsFile: string | null;
  /** The subnets a running proxy has loaded (--from-running, which cannot see the file); null otherwise. */
  allowedSubnets: string[] | null;
  /** Upstream connect give-up time of our proxy (--connect-timeout), in ms. */
  connectTimeoutMs: number;
  /** Expected concurrent connections, to size the file-descriptor check. */
  expectedConnections: number;
  /** -dynamic-destination: the real targets come from the headers; only -4/-6 can be checked. */
  dynamicDestination: boolean;
}

/** go-mmproxy's defaults, which mmproxy keeps. */
export const DEFAULT_LISTEN = '0.0.0.0:8443';
export const DEFAULT_TARGET4 = '127.0.0.1:443';
export const DEFAULT_TARGET6 = '[::1]:443';
export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;

/** Parses "127.0.0.1:80" or "[::1]:80"; `flag` names the option in errors. */
export function parseHostPort(text: string, flag: string): HostPort {
  const bracketed = /^\[([^\]]+)\]:(\d+)$/.exec(text);
  const plain = /^([^:]+):(\d+)$/.exec(text);
  const match = bracketed ?? plain;
  const address = match?.[1];
  const port = Number(match?.[2]);
  const family = address === undefined ? 0 : isIP(address);
  if (!match && !text.startsWith('[') && text.split(':').length > 2) {
    throw new UsageError(`${flag} ${JSON.stringify(text)}: write IPv6 addresses in brackets, e.g. [::1]:80`);
  }
  if (!match || address === undefined || family === 0 || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new UsageError(`${flag} ${JSON.stringify(text)}: expected ADDRESS:PORT, e.g. 127.0.0.1:80 or [::1]:80`);
  }
  if ((bracketed !== null) !== (family === 6)) {
    throw new UsageError(`${flag} ${JSON.stringify(text)}: write IPv6 addresses in brackets, e.g. [::1]:80`);
  }
  return { family: family as 4 | 6, address, port };
}

/** "none" (or an empty value) checks a setup without that address family. */
function optionalTarget(text: string, flag: string): HostPort | null {
  return text === '' || text === 'none' ? null : parseHostPort(text, flag);
}

export interface ProxyFlags {
  l?: string;
  '4'?: string;
  '6'?: string;
  p?: string;
  mark?: number;
  'allowed-subnets'?: string;
  'connect-timeout'?: string;
  'max-connections'?: number;
  'expected-connections'?: number;
  'dynamic-destination'?: boolean;
}

const DEFAULT_EXPECTED_CONNECTIONS = 1000;

/** The proxy's connection limit sizes the fd check; 0 (no limit) falls back to a typical load. */
export function expectedConnectionsFor(maxConnections: number): number {
  return maxConnections > 0 ? maxConnections : DEFAULT_EXPECTED_CONNECTIONS;
}

/** "5s", "500ms" or a bare number of seconds (go-mmproxy style), in milliseconds. */
export function parseDuration(text: string, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(text.trim());
  if (!match) throw new UsageError(`${flag} ${JSON.stringify(text)}: expected a duration such as 5s or 500ms`);
  return Number(match[1]) * (match[2] === 'ms' ? 1 : 1000);
}

export function proxySetupFromFlags(flags: ProxyFlags): ProxySetup {
  const protocol = flags.p ?? 'tcp';
  if (protocol !== 'tcp' && protocol !== 'udp')
    throw new UsageError(`-p ${JSON.stringify(protocol)}: expected tcp or udp`);
  const mark = flags.mark ?? 0;
  if (!Number.isInteger(mark) || mark < 0 || mark > 0xffffffff)
    throw new UsageError(`-mark ${mark}: expected an integer 0..4294967295`);
  const target4 = optionalTarget(flags['4'] ?? DEFAULT_TARGET4, '-4');
  const target6 = optionalTarget(flags['6'] ?? DEFAULT_TARGET6, '-6');
  if (target4 && target4.family !== 4) throw new UsageError('-4 needs an IPv4 address');
  if (target6 && target6.family !== 6) throw new UsageError('-6 needs an IPv6 address');
  const connectTimeoutMs =
    flags['connect-timeout'] === undefined
      ? DEFAULT_CONNECT_TIMEOUT_MS
      : parseDuration(flags['connect-timeout'], '--connect-timeout');
  return {
    listen: parseHostPort(flags.l ?? DEFAULT_LISTEN, '-l'),
    target4,
    target6,
    protocol,
    mark,
    allowedSubnetsFile: flags['allowed-subnets'] ?? null,
    allowedSubnets: null,
    connectTimeoutMs,
    expectedConnections: flags['expected-connections'] ?? expectedConnectionsFor(flags['max-connections'] ?? 0),
    dynamicDestination: flags['dynamic-destination'] ?? false,
  };
}

export function formatHostPort(endpoint: HostPort): string {
  return endpoint.family === 6 ? `[${endpoint.address}]:${endpoint.port}` : `${endpoint.address}:${endpoint.port}`;
}
