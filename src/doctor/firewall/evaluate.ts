/**
 * A packet as netfilter sees it at one hook, and the value of a rule's
 * conditions for it: true, false, or unknown when a condition reads
 * something the doctor does not model (or a port it does not know yet).
 */
import { prefixContains } from '../../base/net/cidr.js';
import { ipToBigInt, type IpAddress } from '../../base/net/ip.js';
import type { AddressItem, Condition, CtState, MarkExpr, TcpFlag, Tri, VmapValue, VmapKey } from './model.js';

export interface Connection {
  state: CtState;
  direction: 'original' | 'reply';
  mark: number;
}

export interface Packet {
  family: 4 | 6;
  /** IP protocol number: 6 (TCP) or 17 (UDP). */
  protocol: number;
  saddr: IpAddress;
  daddr: IpAddress;
  /** null when the doctor does not know it (the kernel picks the probe's source port). */
  sport: number | null;
  dport: number | null;
  tcpFlags: TcpFlag[];
  /** Input and output interface; null where the hook has none (no iif in OUTPUT). */
  iif: string | null;
  oif: string | null;
  mark: number;
  /** The connection conntrack attached, or null before conntrack (and for untracked packets). */
  ct: Connection | null;
  /** Taken out of connection tracking (notrack): its state reads `untracked`. */
  untracked?: boolean;
}

function addressIn(item: AddressItem, address: IpAddress): boolean {
  if ('prefix' in item) return prefixContains(item.prefix, address);
  const [from, to] = item.range;
  if (from.family !== address.family) return false;
  const value = ipToBigInt(address);
  return value >= ipToBigInt(from) && value <= ipToBigInt(to);
}

/** iptables' `eth+` and nft's `eth*` are prefixes; anything else is an exact name. */
function interfaceIs(pattern: string, name: string): boolean {
  if (pattern.endsWith('+') || pattern.endsWith('*')) return name.startsWith(pattern.slice(0, -1));
  return pattern === name;
}

const xor = (value: boolean, negate: boolean): boolean => value !== negate;

function portIn(ranges: [number, number][], port: number): boolean {
  return ranges.some(([from, to]) => port >= from && port <= to);
}

export function evaluateCondition(condition: Condition, packet: Packet): Tri {
  switch (condition.kind) {
    case 'family':
      return packet.family === condition.family;
    case 'l4proto':
      return xor(condition.protocols.includes(packet.protocol), condition.negate);
    case 'address': {
      const address = condition.field === 'saddr' ? packet.saddr : packet.daddr;
      // A match on the other family's header never holds, negated or not.
      if (
        condition.items.every(
          (item) => ('prefix' in item ? item.prefix.address : item.range[0]).family !== packet.family,
        )
      )
        return false;
      return xor(
        condition.items.some((item) => addressIn(item, address)),
        condition.negate,
      );
    }
    case 'port': {
      if (!condition.protocols.includes(packet.protocol)) return false;
      const ports =
        condition.field === 'sport'
          ? [packet.sport]
          : condition.field === 'dport'
            ? [packet.dport]
            : [packet.sport, packet.dport];
      const known = ports.filter((port): port is number => port !== null);
      if (known.some((port) => portIn(condition.ranges, port))) return xor(true, condition.negate);
      if (known.length < ports.length) return 'unknown';
      return xor(false, condition.negate);
    }
    case 'interface': {
      const name = (condition.field === 'iif' ? packet.iif : packet.oif) ?? '';
      return xor(
        condition.names.some((pattern) => interfaceIs(pattern, name)),
        condition.negate,
      );
    }
    case 'mark': {
      if (condition.of === 'ct' && !packet.ct) return false;
      const mark = condition.of === 'meta' ? packet.mark : (packet.ct?.mark ?? 0);
      return xor((mark & condition.mask) >>> 0 === condition.value >>> 0, condition.negate);
    }
    case 'ct-state': {
      // Without a connection (before conntrack, or no conntrack at all) the state reads as invalid.
      const state: CtState = packet.ct?.state ?? (packet.untracked ? 'untracked' : 'invalid');
      return xor(condition.states.includes(state), condition.negate);
    }
    case 'ct-direction':
      if (!packet.ct) return false;
      return xor(packet.ct.direction === condition.direction, condition.negate);
    case 'tcp-flags': {
      if (packet.protocol !== 6) return false;
      const flags = new Set(packet.tcpFlags);
      const holds = condition.any
        ? condition.set.some((flag) => flags.has(flag))
        : condition.mask.every((flag) => flags.has(flag) === condition.set.includes(flag));
      return xor(holds, condition.negate);
    }
    case 'unknown':
      return 'unknown';
  }
}

/** All conditions together: false wins over unknown, unknown over true. */
export function evaluateConditions(conditions: Condition[], packet: Packet): Tri {
  let result: Tri = true;
  for (const condition of conditions) {
    const value = evaluateCondition(condition, packet);
    if (value === false) return false;
    if (value === 'unknown') result = 'unknown';
  }
  return result;
}

export function evaluateMark(expr: MarkExpr, packet: Packet): number {
  if ('const' in expr) return expr.const >>> 0;
  if ('of' in expr) return expr.of === 'meta' ? packet.mark : (packet.ct?.mark ?? 0);
  const left = evaluateMark(expr.left, packet);
  const right = evaluateMark(expr.right, packet);
  if (expr.op === '&') return (left & right) >>> 0;
  if (expr.op === '|') return (left | right) >>> 0;
  return (left ^ right) >>> 0;
}

/** Whether a verdict map's entry is the one for this packet: null when the packet's key is not known. */
export function vmapEntryMatches(key: VmapKey, value: VmapValue, packet: Packet): boolean | null {
  switch (key) {
    case 'ct-state':
      return value === (packet.ct?.state ?? (packet.untracked ? 'untracked' : 'invalid'));
    case 'dport':
    case 'sport': {
      const port = key === 'dport' ? packet.dport : packet.sport;
      if (port === null) return null;
      return Array.isArray(value) && port >= value[0] && port <= value[1];
    }
    case 'l4proto':
      return value === packet.protocol;
    case 'iif':
    case 'oif':
      return typeof value === 'string' && interfaceIs(value, (key === 'iif' ? packet.iif : packet.oif) ?? '');
    case 'saddr':
    case 'daddr':
      return (
        typeof value === 'object' &&
        !Array.isArray(value) &&
        addressIn(value, key === 'saddr' ? packet.saddr : packet.daddr)
      );
  }
}
