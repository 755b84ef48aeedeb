/**
 * "address:port" as go-mmproxy takes it (Go's netip.ParseAddrPort): a numeric
 * IPv4 address, or an IPv6 address in brackets, then a decimal port. Host
 * names are refused with a message that says what to write instead.
 */
import { formatIp, parseIp } from './ip.js';

/** A numeric IP address and port: `address` is canonical (RFC 5952, as formatIp writes it). */
export interface Endpoint {
  family: 4 | 6;
  address: string;
  port: number;
}

/** Why an address did not parse; the caller adds which flag it came from. */
export class EndpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EndpointError';
  }
}

const PORT = /^[0-9]{1,5}$/;
const HOST_NAME = /^[A-Za-z0-9.-]+$/;

function splitHostPort(text: string): { host: string; port: string } {
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0 || text[close + 1] !== ':') {
      throw new EndpointError(`"${text}" is not [IPv6]:port, e.g. [::1]:443`);
    }
    return { host: text.slice(1, close), port: text.slice(close + 2) };
  }
  const colon = text.lastIndexOf(':');
  if (colon < 0) throw new EndpointError(`"${text}" has no port; write address:port, e.g. 127.0.0.1:443`);
  const host = text.slice(0, colon);
  if (host.includes(':')) {
    throw new EndpointError(`"${text}": put an IPv6 address in brackets, e.g. [${host}]:${text.slice(colon + 1)}`);
  }
  return { host, port: text.slice(colon + 1) };
}

function parsePort(text: string, whole: string): number {
  const port = PORT.test(text) ? Number(text) : NaN;
  if (!(port >= 1 && port <= 65535)) {
    throw new EndpointError(`"${whole}": the port must be a number from 1 to 65535`);
  }
  return port;
}

/** Parses "0.0.0.0:8443" or "[::1]:443" into a canonical Endpoint; throws EndpointError. */
export function parseEndpoint(text: string): Endpoint {
  const { host, port } = splitHostPort(text.trim());
  const portNumber = parsePort(port, text);
  if (host.includes('%')) {
    throw new EndpointError(`"${text}": zoned IPv6 addresses (%interface) are not supported`);
  }
  const ip = parseIp(host);
  if (!ip) {
    const hint =
      HOST_NAME.test(host) && /[A-Za-z]/.test(host)
        ? ' (host names are not resolved, as in go-mmproxy: write the numeric address)'
        : '';
    throw new EndpointError(`"${text}": "${host}" is not a numeric IP address${hint}`);
  }
  return { family: ip.family, address: formatIp(ip), port: portNumber };
}

/** How an endpoint is written on the command line and in logs. */
export function formatEndpoint(endpoint: Endpoint): string {
  return endpoint.family === 6 ? `[${endpoint.address}]:${endpoint.port}` : `${endpoint.address}:${endpoint.port}`;
}

/**
 * A listening address for a side service (--metrics-listen): HOST:PORT,
 * [IPV6]:PORT or :PORT (host left to the caller's default). Port 0 asks the
 * kernel for a free one.
 */
export function parseListenAddress(text: string): { host: string | undefined; port: number } {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text.trim());
  const port = Number(match?.[3]);
  if (!match || !Number.isInteger(port) || port > 65535) {
    throw new EndpointError(`${JSON.stringify(text)}: expected HOST:PORT, [IPV6]:PORT or :PORT, e.g. 127.0.0.1:9100`);
  }
  const host = match[1] ?? match[2];
  return { host: host === '' ? undefined : host, port };
}
