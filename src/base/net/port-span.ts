/**
 * An address with one port or a range of ports: "0.0.0.0:8443",
 * "0.0.0.0:25565-25575", "[::1]:35565-35575". A listener on a range listens on
 * every port of it; a target range of the same length follows the listen port
 * (the n-th listen port goes to the n-th target port), a single target port
 * takes them all.
 */
import { EndpointError, formatEndpoint, parseEndpoint, type Endpoint } from './endpoint.js';

/** `port` is the first port, `lastPort` the last (equal for a single port). */
export interface PortSpan extends Endpoint {
  lastPort: number;
}

const RANGE = /^(.*):([0-9]{1,5})-([0-9]{1,5})$/;

/** The ports of a span; a range of one port is written as that port. */
export function spanSize(span: PortSpan): number {
  return span.lastPort - span.port + 1;
}

/**
 * Parses "ADDRESS:PORT" or "ADDRESS:FIRST-LAST" (FIRST below LAST, at most
 * `maxPorts` ports); throws EndpointError.
 */
export function parsePortSpan(text: string, maxPorts: number): PortSpan {
  const range = RANGE.exec(text.trim());
  if (!range) {
    const endpoint = parseEndpoint(text);
    return { ...endpoint, lastPort: endpoint.port };
  }
  const [, host, firstText, lastText] = range;
  const first = parseEndpoint(`${host}:${firstText}`);
  const last = parseEndpoint(`${host}:${lastText}`).port;
  if (last <= first.port) {
    throw new EndpointError(`"${text}": a port range goes from the lower port to the higher, e.g. 25565-25575`);
  }
  if (last - first.port + 1 > maxPorts) {
    throw new EndpointError(`"${text}": a port range holds at most ${maxPorts} ports`);
  }
  return { ...first, lastPort: last };
}

/** The span's first port, as a plain endpoint. */
export function firstEndpoint(span: PortSpan): Endpoint {
  return { family: span.family, address: span.address, port: span.port };
}

export function formatPortSpan(span: PortSpan): string {
  const first = formatEndpoint(span);
  return span.lastPort === span.port ? first : `${first}-${span.lastPort}`;
}

/** Every port of the span as an endpoint, lowest first. */
export function spanEndpoints(span: PortSpan): Endpoint[] {
  return Array.from({ length: spanSize(span) }, (_, i) => ({
    family: span.family,
    address: span.address,
    port: span.port + i,
  }));
}

/**
 * Where a connection to `listenPort` of `listen` goes on `target`: the port at
 * the same offset when the target is a range (as long as the listen range), else
 * the target's one port.
 */
export function targetFor(listen: PortSpan, target: PortSpan, listenPort: number): Endpoint {
  const port = spanSize(target) === 1 ? target.port : target.port + (listenPort - listen.port);
  return { family: target.family, address: target.address, port };
}
