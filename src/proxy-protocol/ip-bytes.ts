/** Text IP addresses to network-order bytes, for the v2 address block. */
import { isIPv4, isIPv6 } from 'node:net';

const IPV6_GROUPS = 8;

export function ipv4Bytes(address: string): Buffer {
  if (!isIPv4(address)) throw new TypeError(`not an IPv4 address: ${JSON.stringify(address)}`);
  return Buffer.from(address.split('.').map(Number));
}

/** Groups of one side of "::", a dotted-quad tail counting as two groups. */
function groupsOf(part: string): number[] {
  if (part === '') return [];
  const groups: number[] = [];
  for (const piece of part.split(':')) {
    if (piece.includes('.')) {
      const tail = ipv4Bytes(piece);
      groups.push((tail[0]! << 8) | tail[1]!, (tail[2]! << 8) | tail[3]!);
    } else {
      groups.push(parseInt(piece, 16));
    }
  }
  return groups;
}

export function ipv6Bytes(address: string): Buffer {
  if (!isIPv6(address) || address.includes('%')) {
    throw new TypeError(`not an IPv6 address (zone ids are not allowed): ${JSON.stringify(address)}`);
  }
  const [head = '', tail] = address.split('::');
  const headGroups = groupsOf(head);
  const tailGroups = tail === undefined ? [] : groupsOf(tail);
  const zeroes = IPV6_GROUPS - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...new Array<number>(zeroes).fill(0), ...tailGroups];
  const bytes = Buffer.alloc(16);
  groups.forEach((group, i) => bytes.writeUInt16BE(group, 2 * i));
  return bytes;
}
