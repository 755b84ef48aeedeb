/**
 * Numeric IP addresses: strict parsing (no host names, no zones, no leading
 * zeros in IPv4, as Go's net/netip) and one canonical text form (RFC 5952),
 * so that the same address always reads the same in logs and in the config.
 */

export interface IpAddress {
  family: 4 | 6;
  /** 4 or 16 bytes, network order. */
  bytes: Uint8Array;
}

const IPV4_PART = /^(0|[1-9][0-9]{0,2})$/;
const IPV6_GROUP = /^[0-9a-fA-F]{1,4}$/;

function parseIpv4Bytes(text: string): number[] | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const bytes: number[] = [];
  for (const part of parts) {
    if (!IPV4_PART.test(part)) return null;
    const value = Number(part);
    if (value > 255) return null;
    bytes.push(value);
  }
  return bytes;
}

/** Groups of one side of "::", each a 16-bit number; a trailing dotted IPv4 counts as two. */
function parseIpv6Groups(text: string, mayEndWithIpv4: boolean): number[] | null {
  if (text === '') return [];
  const pieces = text.split(':');
  const groups: number[] = [];
  for (const [index, piece] of pieces.entries()) {
    const isLast = index === pieces.length - 1;
    if (isLast && mayEndWithIpv4 && piece.includes('.')) {
      const v4 = parseIpv4Bytes(piece);
      if (!v4) return null;
      groups.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
    } else if (IPV6_GROUP.test(piece)) {
      groups.push(parseInt(piece, 16));
    } else {
      return null;
    }
  }
  return groups;
}

function parseIpv6Bytes(text: string): number[] | null {
  const halves = text.split('::');
  if (halves.length > 2) return null;
  let groups: number[];
  if (halves.length === 2) {
    const head = parseIpv6Groups(halves[0]!, false);
    const tail = parseIpv6Groups(halves[1]!, true);
    if (!head || !tail || head.length + tail.length > 7) return null;
    groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  } else {
    const all = parseIpv6Groups(text, true);
    if (!all || all.length !== 8) return null;
    groups = all;
  }
  return groups.flatMap((group) => [group >> 8, group & 0xff]);
}

/** Parses a numeric IPv4 or IPv6 address; null for anything else (host names, zones, junk). */
export function parseIp(text: string): IpAddress | null {
  if (text.includes(':')) {
    const bytes = parseIpv6Bytes(text);
    return bytes ? { family: 6, bytes: Uint8Array.from(bytes) } : null;
  }
  const bytes = parseIpv4Bytes(text);
  return bytes ? { family: 4, bytes: Uint8Array.from(bytes) } : null;
}

function isIpv4Mapped(bytes: Uint8Array): boolean {
  return bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
}

/** The longest run of at least two zero groups (the first of equals), or null. */
function longestZeroRun(groups: number[]): { start: number; length: number } | null {
  let best: { start: number; length: number } | null = null;
  let start = -1;
  for (let i = 0; i <= groups.length; i++) {
    if (i < groups.length && groups[i] === 0) {
      if (start < 0) start = i;
      continue;
    }
    if (start >= 0) {
      const length = i - start;
      if (length >= 2 && (!best || length > best.length)) best = { start, length };
      start = -1;
    }
  }
  return best;
}

/** RFC 5952 text: lower-case hex, "::" for the longest zero run, ::ffff:a.b.c.d for mapped IPv4. */
export function formatIp(address: IpAddress): string {
  const { bytes } = address;
  if (address.family === 4) return Array.from(bytes).join('.');
  if (isIpv4Mapped(bytes)) return `::ffff:${Array.from(bytes.subarray(12)).join('.')}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  const hex = (list: number[]): string => list.map((g) => g.toString(16)).join(':');
  const run = longestZeroRun(groups);
  if (!run) return hex(groups);
  return `${hex(groups.slice(0, run.start))}::${hex(groups.slice(run.start + run.length))}`;
}

/** The address in a Buffer of 4 or 16 bytes, network order (the PROXY v2 address block, sockaddr). */
export function ipBytes(address: IpAddress): Buffer {
  return Buffer.from(address.bytes);
}

/** Bits in an address of the family: the longest prefix, a single host. */
export function addressBits(family: 4 | 6): 32 | 128 {
  return family === 4 ? 32 : 128;
}

/** The address as one unsigned number, for prefix arithmetic. */
export function ipToBigInt(address: IpAddress): bigint {
  return address.bytes.reduce((value, byte) => (value << 8n) | BigInt(byte), 0n);
}

/** 127.0.0.0/8 or ::1: addresses that never leave the host. */
export function isLoopback(address: IpAddress): boolean {
  if (address.family === 4) return address.bytes[0] === 127;
  return address.bytes.subarray(0, 15).every((b) => b === 0) && address.bytes[15] === 1;
}

/** parseIp for text that must be an address (`what` names it in the error). */
export function requireIp(text: string, what = 'address'): IpAddress {
  const address = parseIp(text);
  if (!address) throw new TypeError(`${what} ${JSON.stringify(text)} is not a numeric IPv4 or IPv6 address`);
  return address;
}
