/**
 * PROXY protocol headers as a load balancer sends them (HAProxy's
 * doc/proxy-protocol.txt), built by hand so the tests do not depend on the
 * code under test.
 */
import { isIPv4 } from 'node:net';

const V2_SIGNATURE = Buffer.from('0d0a0d0a000d0a515549540a', 'hex');
const V2_VERSION = 0x20;
const V2_LOCAL = 0x00;
const V2_PROXY = 0x01;
const V2_INET_STREAM = 0x11;
const V2_INET6_STREAM = 0x21;
const V2_UNSPEC = 0x00;
const V2_TLV_NOOP = 0x04;

export interface Addresses {
  source: string;
  sourcePort: number;
  destination: string;
  destinationPort: number;
}

export function v1(a: Addresses): Buffer {
  const protocol = isIPv4(a.source) ? 'TCP4' : 'TCP6';
  return Buffer.from(
    `PROXY ${protocol} ${a.source} ${a.destination} ${a.sourcePort} ${a.destinationPort}\r\n`,
    'latin1',
  );
}

export function v1Unknown(): Buffer {
  return Buffer.from('PROXY UNKNOWN\r\n', 'latin1');
}

function ipBytes(address: string): Buffer {
  if (isIPv4(address)) return Buffer.from(address.split('.').map(Number));
  const [head = '', tail = ''] = address.split('::');
  const groups = (part: string): string[] => (part === '' ? [] : part.split(':'));
  const left = groups(head);
  const right = address.includes('::') ? groups(tail) : [];
  const middle = Array<string>(8 - left.length - right.length).fill('0');
  const all = address.includes('::') ? [...left, ...middle, ...right] : left;
  const bytes = Buffer.alloc(16);
  all.forEach((group, index) => bytes.writeUInt16BE(parseInt(group, 16), index * 2));
  return bytes;
}

export function v2(a: Addresses): Buffer {
  const v4 = isIPv4(a.source);
  const ports = Buffer.alloc(4);
  ports.writeUInt16BE(a.sourcePort, 0);
  ports.writeUInt16BE(a.destinationPort, 2);
  const body = Buffer.concat([ipBytes(a.source), ipBytes(a.destination), ports]);
  return v2Raw(V2_VERSION | V2_PROXY, v4 ? V2_INET_STREAM : V2_INET6_STREAM, body);
}

/** A v2 PROXY header carrying `padding` bytes in a NOOP TLV (spec 2.2.4). */
export function v2WithNoop(a: Addresses, padding: number): Buffer {
  const base = v2(a);
  const tlv = Buffer.alloc(3 + padding);
  tlv[0] = V2_TLV_NOOP;
  tlv.writeUInt16BE(padding, 1);
  const body = Buffer.concat([base.subarray(16), tlv]);
  return v2Raw(base[12] ?? 0, base[13] ?? 0, body);
}

/** LOCAL: a health check from the load balancer itself; no addresses. */
export function v2Local(): Buffer {
  return v2Raw(V2_VERSION | V2_LOCAL, V2_UNSPEC, Buffer.alloc(0));
}

export function v2Raw(versionCommand: number, familyTransport: number, body: Buffer): Buffer {
  const fixed = Buffer.alloc(4);
  fixed[0] = versionCommand;
  fixed[1] = familyTransport;
  fixed.writeUInt16BE(body.length, 2);
  return Buffer.concat([V2_SIGNATURE, fixed, body]);
}

/** One header per class of malformation, with the parser code each must be counted under. */
export const MALFORMED: ReadonlyArray<{ name: string; header: Buffer; code: string }> = [
  { name: 'not PROXY at all', header: Buffer.from('GET / HTTP/1.1\r\n\r\n'), code: 'ERR_NOT_PROXY_PROTOCOL' },
  { name: 'v1 without CRLF', header: Buffer.from(`PROXY UNKNOWN ${'x'.repeat(120)}`), code: 'ERR_V1_TOO_LONG' },
  {
    name: 'v1 unknown protocol',
    header: Buffer.from('PROXY UDP4 192.0.2.1 192.0.2.2 1 2\r\n'),
    code: 'ERR_V1_BAD_PROTOCOL',
  },
  {
    name: 'v1 bad source address',
    header: Buffer.from('PROXY TCP4 192.0.2.300 192.0.2.2 1 2\r\n'),
    code: 'ERR_V1_BAD_SOURCE_ADDRESS',
  },
  { name: 'v2 version 1', header: v2Raw(0x11, V2_INET_STREAM, Buffer.alloc(12)), code: 'ERR_V2_BAD_VERSION' },
  { name: 'v2 command 2', header: v2Raw(0x22, V2_INET_STREAM, Buffer.alloc(12)), code: 'ERR_V2_BAD_COMMAND' },
  {
    name: 'v2 address block too short',
    header: v2Raw(V2_VERSION | V2_PROXY, V2_INET_STREAM, Buffer.alloc(4)),
    code: 'ERR_V2_ADDRESS_TOO_SHORT',
  },
];
