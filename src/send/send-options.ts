/**
 * What `mmproxy send` was asked to do, checked once: numeric endpoints, and
 * only the options that apply to the chosen protocol (a UDP-only option with
 * `-p tcp` is an error, never silently ignored).
 */
import { UsageError } from '../base/errors.js';
import { EndpointError, formatEndpoint, parseEndpoint, type Endpoint } from '../base/net/endpoint.js';
import { requireIp, type IpAddress } from '../base/net/ip.js';

export const SEND_HEADERS = ['v1', 'v2', 'every', 'first', 'spp'] as const;
/** v1 and v2: TCP (one header, then the stream). every, first, spp: UDP, as --udp-header names them. */
export type SendHeader = (typeof SEND_HEADERS)[number];

export const MAX_DATAGRAMS = 100_000;

export interface SendOptions {
  protocol: 'tcp' | 'udp';
  /** Where the header goes: mmproxy's listen address. */
  to: Endpoint;
  header: SendHeader;
  /** The client the header names; absent for --local (v2 LOCAL, v1 UNKNOWN). */
  client?: Endpoint;
  /** The destination the header names: the address the load balancer was reached at. */
  destination: Endpoint;
  /** The local address to send from, as the load balancer's. */
  source?: IpAddress;
  /** --data, or null to read the payload from standard input. */
  data: Buffer | null;
  /** UDP: datagrams to send, each with the payload. */
  count: number;
  /** UDP: replies to wait for before exiting 0. */
  expect: number;
  /** Give up after this long without a byte or a datagram coming back. */
  idleMs: number;
}

export interface SendArguments {
  to: string;
  protocol: string;
  header?: string;
  client?: string;
  destination?: string;
  source?: string;
  local: boolean;
  data?: string;
  count?: number;
  expect?: number;
  wait: number;
}

function endpoint(text: string, flag: string): Endpoint {
  try {
    return parseEndpoint(text);
  } catch (error) {
    if (error instanceof EndpointError) throw new UsageError(`${flag}: ${error.message}`);
    throw error;
  }
}

function wholeNumber(value: number, flag: string, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new UsageError(`${flag} must be a whole number from ${min} to ${max}, got ${value}`);
  }
  return value;
}

function headerFor(args: SendArguments, protocol: 'tcp' | 'udp'): SendHeader {
  const header = args.header ?? (protocol === 'tcp' ? 'v2' : 'every');
  if (!(SEND_HEADERS as readonly string[]).includes(header)) {
    throw new UsageError(`--header must be one of ${SEND_HEADERS.join(', ')}, got ${JSON.stringify(header)}`);
  }
  const tcpHeader = header === 'v1' || header === 'v2';
  if (protocol === 'tcp' && !tcpHeader) {
    throw new UsageError(`--header ${header} is a UDP mode (--udp-header); with -p tcp use v1 or v2`);
  }
  if (protocol === 'udp' && tcpHeader) {
    throw new UsageError(`--header ${header} is for TCP; with -p udp use every, first or spp (as --udp-header)`);
  }
  return header as SendHeader;
}

export function sendOptions(args: SendArguments): SendOptions {
  if (args.protocol !== 'tcp' && args.protocol !== 'udp') {
    throw new UsageError(`-p must be tcp or udp, got ${JSON.stringify(args.protocol)}`);
  }
  const protocol = args.protocol;
  for (const [flag, value] of [
    ['--count', args.count],
    ['--expect', args.expect],
  ] as const) {
    if (protocol === 'tcp' && value !== undefined) throw new UsageError(`${flag} is for -p udp (datagrams)`);
  }
  const header = headerFor(args, protocol);
  if (args.local === (args.client !== undefined)) {
    throw new UsageError('give --client ADDR:PORT (the client the header names), or --local for a header without one');
  }
  if (args.local && (header === 'first' || header === 'spp')) {
    throw new UsageError(`--local has no ${header} form: SPP and first-datagram headers always name a client`);
  }
  const to = endpoint(args.to, 'the address to send to');
  const count = wholeNumber(args.count ?? 1, '--count', 1, MAX_DATAGRAMS);
  if (!(args.wait > 0 && args.wait <= 3600)) throw new UsageError(`--wait must be from 0 to 3600 seconds`);
  let source: IpAddress | undefined;
  if (args.source !== undefined) {
    try {
      source = requireIp(args.source, '--source');
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  }
  const client = args.client === undefined ? undefined : endpoint(args.client, '--client');
  const destination = args.destination === undefined ? to : endpoint(args.destination, '--destination');
  if (client && client.family !== destination.family && header !== 'spp') {
    throw new UsageError(
      `a PROXY header names two addresses of one family: the client ${formatEndpoint(client)} is IPv${client.family} ` +
        `and the destination ${formatEndpoint(destination)} is IPv${destination.family}; give --destination ` +
        'ADDR:PORT of the same family (the address the client reached the load balancer at)',
    );
  }
  return {
    protocol,
    to,
    header,
    client,
    destination,
    source,
    data: args.data === undefined ? null : Buffer.from(args.data),
    count,
    expect: wholeNumber(args.expect ?? count, '--expect', 0, count),
    idleMs: Math.round(args.wait * 1000),
  };
}
