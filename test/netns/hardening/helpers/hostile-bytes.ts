/**
 * Byte builders for hostile PROXY headers, by hand from HAProxy's doc/proxy-protocol.txt (not through the
 * project's encoder, which refuses to write most of these): v2 headers with any family/transport byte, any
 * declared length and any TLVs, framed honestly or not.
 */
import { crc32c } from '../../../../src/proxy-protocol/crc32c.js';
import { v2Raw } from '../../dataplane/harness/headers.js';

export const V2_PROXY = 0x21;
export const V2_LOCAL = 0x20;
export const INET_STREAM = 0x11;
export const INET_DGRAM = 0x12;
export const INET6_STREAM = 0x21;
export const UNIX_STREAM = 0x31;

export const TLV_ALPN = 0x01;
export const TLV_CRC32C = 0x03;
export const TLV_NOOP = 0x04;
export const TLV_SSL = 0x20;
export const TLV_SSL_VERSION = 0x21;
/** The largest v2 header: 16 fixed bytes and a 16-bit length. */
export const V2_MAX_LENGTH = 16 + 0xffff;
/** Source and destination IPv4 addresses and ports. */
const INET_BLOCK = 12;

/** One TLV: type, 16-bit length, value; `declared` lies about the length when given. */
export function tlv(type: number, value: Buffer, declared = value.length): Buffer {
  const head = Buffer.alloc(3);
  head[0] = type;
  head.writeUInt16BE(declared, 1);
  return Buffer.concat([head, value]);
}

/** The 12-byte INET address block: source and destination, then their ports. */
export function inetBlock(source: string, sourcePort: number, destination: string, destinationPort: number): Buffer {
  const block = Buffer.alloc(INET_BLOCK);
  source.split('.').forEach((part, i) => (block[i] = Number(part)));
  destination.split('.').forEach((part, i) => (block[4 + i] = Number(part)));
  block.writeUInt16BE(sourcePort, 8);
  block.writeUInt16BE(destinationPort, 10);
  return block;
}

export interface Client {
  address: string;
  port: number;
}

/** A v2 PROXY header for `client` (IPv4) with these TLVs after the address block. */
export function v2Inet(client: Client, tlvs: Buffer[] = [], familyTransport = INET_STREAM): Buffer {
  const block = inetBlock(client.address, client.port, '192.0.2.2', 8443);
  return v2Raw(V2_PROXY, familyTransport, Buffer.concat([block, ...tlvs]));
}

/** The same header with its 16-bit length field overwritten (bytes sent stay as they are). */
export function withDeclaredLength(header: Buffer, declared: number): Buffer {
  const copy = Buffer.from(header);
  copy.writeUInt16BE(declared, 14);
  return copy;
}

/**
 * A v2 header for `client` with a CRC32C TLV: correct, or off by one bit when `corrupt` (the checksum covers the
 * whole header with the CRC field zeroed, spec 2.2.3).
 */
export function v2WithCrc32c(
  client: Client,
  before: Buffer[],
  corrupt: boolean,
  familyTransport = INET_STREAM,
): Buffer {
  const header = v2Inet(client, [...before, tlv(TLV_CRC32C, Buffer.alloc(4))], familyTransport);
  const sum = crc32c(header) ^ (corrupt ? 1 : 0);
  header.writeUInt32BE(sum >>> 0, header.length - 4);
  return header;
}

/** `count` empty NOOP TLVs (3 bytes each). */
export function tinyTlvs(count: number): Buffer[] {
  return Array.from({ length: count }, () => tlv(TLV_NOOP, Buffer.alloc(0)));
}

/** As many empty NOOP TLVs as fit in a v2 header of `total` bytes after an INET block and `reserve` bytes. */
export function tinyTlvsFilling(total: number, reserve = 0): Buffer[] {
  const room = total - 16 - INET_BLOCK - reserve;
  const count = Math.floor(room / 3);
  const pad = room - count * 3;
  // A last NOOP carries the remainder, so the header is exactly `total` bytes.
  return pad === 0 ? tinyTlvs(count) : [...tinyTlvs(count - 1), tlv(TLV_NOOP, Buffer.alloc(pad))];
}

/** An SSL TLV: client flags, verify result, then these sub-TLVs (spec 2.2.5). */
export function sslTlv(subTlvs: Buffer[], declared?: number): Buffer {
  const fixed = Buffer.from([0x01, 0, 0, 0, 0]);
  const value = Buffer.concat([fixed, ...subTlvs]);
  return tlv(TLV_SSL, value, declared ?? value.length);
}

/**
 * Clients no real client connects from, each as [address, port]: the unspecified address, "this network",
 * multicast, the IPv4 broadcast address, and port 0, over IPv4 and IPv6.
 */
export const NOT_UNICAST_CLIENTS: ReadonlyArray<readonly [string, number]> = [
  ['0.0.0.0', 40_000],
  ['0.1.2.3', 40_000],
  ['224.0.0.1', 40_000],
  ['239.255.255.250', 40_000],
  ['255.255.255.255', 40_000],
  ['198.51.100.9', 0],
  ['::', 40_000],
  ['ff02::1', 40_000],
  ['2001:db8::9', 0],
];

/** The header's destination, in the client's family. */
export function destinationFor(address: string): { destination: string; destinationPort: number } {
  return { destination: address.includes(':') ? '2001:db8::2' : '192.0.2.2', destinationPort: 8443 };
}
