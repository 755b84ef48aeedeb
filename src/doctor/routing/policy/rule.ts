/**
 * A policy-routing rule as the kernel holds it (struct fib_rule): its
 * selectors, its action and whether it is inverted, read from one row of
 * `ip -j rule show`. The row's keys are checked against the ones this code
 * understands, so a selector added to iproute2 after it (and therefore not
 * evaluated) is noticed instead of silently read as "matches everything".
 */
import { addressBits } from '../../../base/net/ip.js';
import type { IpRule } from '../../context/ip-types.js';
import { type RulePrefix, parsePrefix } from './prefix.js';

export type Family = 4 | 6;

export interface InterfaceSelector {
  name: string;
  /** The interface does not exist: the kernel keeps the rule but it never matches. */
  detached: boolean;
}

/** A port selector: a range, or (kernel 6.16+) a value under a mask. */
export type PortSelector = { start: number; end: number } | { value: number; mask: number };

export type RuleAction =
  | { kind: 'lookup'; table: string; suppressPrefixLength: number | null; suppressIfgroup: string | null }
  /** `lookup [l3mdev-table]`: the table of the VRF the packet belongs to. */
  | { kind: 'l3mdev' }
  /** `goto N`: jump to the first rule whose priority is N; unresolved when there is none. */
  | { kind: 'goto'; target: number | null; unresolved: boolean }
  | { kind: 'nop' }
  | { kind: 'blackhole' | 'unreachable' | 'prohibit' };

export interface PolicyRule {
  family: Family;
  priority: number;
  /** `not`: the kernel inverts the combined verdict of all the selectors. */
  not: boolean;
  /** null: from all. */
  from: RulePrefix | null;
  to: RulePrefix | null;
  iif: InterfaceSelector | null;
  oif: InterfaceSelector | null;
  fwmark: { value: number; mask: number } | null;
  /** IPv4 TOS or IPv6 traffic class, as `tos` prints it. */
  tos: number | null;
  dscp: { value: number; mask: number } | null;
  /** Protocol number, and the name ip printed. */
  ipproto: { number: number | null; name: string } | null;
  sport: PortSelector | null;
  dport: PortSelector | null;
  uid: { start: number; end: number } | null;
  tunId: number | null;
  action: RuleAction;
  /** Kept to re-add the rule as it was: realms, and the protocol that added it. */
  realms: string | null;
  protocol: string | null;
  /** Keys of the row this code does not know: selectors it cannot evaluate. */
  unknownKeys: string[];
}

const KNOWN_KEYS = new Set([
  'priority',
  'not',
  'src',
  'srclen',
  'dst',
  'dstlen',
  'tos',
  'dscp',
  'dscp_mask',
  'fwmark',
  'fwmask',
  'iif',
  'iif_detached',
  'oif',
  'oif_detached',
  'uid_start',
  'uid_end',
  'ipproto',
  'sport',
  'sport_mask',
  'sport_start',
  'sport_end',
  'dport',
  'dport_mask',
  'dport_start',
  'dport_end',
  'tun_id',
  'l3mdev',
  'table',
  'suppress_prefixlen',
  'suppress_ifgroup',
  'action',
  'goto',
  'unresolved',
  'nop',
  'flow_from',
  'flow_to',
  'protocol',
]);

/** The names iproute2 prints for IP protocols (inet_proto_n2a), by number. */
const PROTOCOL_NUMBERS: Record<string, number> = {
  icmp: 1,
  igmp: 2,
  ipip: 4,
  tcp: 6,
  egp: 8,
  pup: 12,
  udp: 17,
  idp: 22,
  tp: 29,
  dccp: 33,
  ipv6: 41,
  rsvp: 46,
  gre: 47,
  esp: 50,
  ah: 51,
  'ipv6-icmp': 58,
  mtp: 92,
  beetph: 94,
  encap: 98,
  pim: 103,
  comp: 108,
  l2tp: 115,
  sctp: 132,
  udplite: 136,
  mpls: 137,
  ethernet: 143,
  raw: 255,
};

export function protocolNumber(name: string): number | null {
  if (/^\d+$/.test(name)) return Number(name);
  return PROTOCOL_NUMBERS[name.toLowerCase()] ?? null;
}

/** "0x7", "7" or a number. */
function number(value: string | number): number {
  return typeof value === 'number' ? value : Number(value);
}

function prefixOf(family: Family, address: string | undefined, length: number | undefined): RulePrefix | null {
  if (address === undefined || address === 'all') return null;
  return parsePrefix(`${address}/${length ?? addressBits(family)}`);
}

function interfaceOf(name: string | undefined, detached: null | undefined): InterfaceSelector | null {
  return name === undefined ? null : { name, detached: detached !== undefined };
}

function portOf(single: number | undefined, mask: string | undefined, start?: number, end?: number) {
  if (single !== undefined) {
    return mask === undefined ? { start: single, end: single } : { value: single, mask: number(mask) };
  }
  if (start !== undefined && end !== undefined) return { start, end };
  return null;
}

function actionOf(row: IpRule): RuleAction {
  if ('l3mdev' in row) return { kind: 'l3mdev' };
  if ('nop' in row) return { kind: 'nop' };
  if (row.goto !== undefined) {
    const target = row.goto === 'none' ? null : number(row.goto);
    return { kind: 'goto', target, unresolved: 'unresolved' in row || target === null };
  }
  if (row.action === 'blackhole' || row.action === 'unreachable' || row.action === 'prohibit') {
    return { kind: row.action };
  }
  return {
    kind: 'lookup',
    table: row.table ?? 'main',
    suppressPrefixLength: row.suppress_prefixlen ?? null,
    suppressIfgroup: row.suppress_ifgroup ?? null,
  };
}

/** One row of `ip -j -4|-6 rule show`. */
export function policyRule(row: IpRule, family: Family): PolicyRule {
  const unknownKeys = Object.keys(row).filter((key) => !KNOWN_KEYS.has(key));
  // An action this code has no model of ("nat", "fault"...) is as unknown as a new selector.
  if (row.action !== undefined && !['blackhole', 'unreachable', 'prohibit'].includes(row.action)) {
    unknownKeys.push(`action ${row.action}`);
  }
  const tos = row.tos === undefined ? null : number(row.tos);
  // A TOS printed by name (from /etc/iproute2/rt_dsfield) has no number to compare.
  if (tos !== null && Number.isNaN(tos)) unknownKeys.push(`tos ${row.tos}`);
  const fwmark =
    row.fwmark !== undefined || row.fwmask !== undefined
      ? { value: number(row.fwmark ?? 0), mask: row.fwmask === undefined ? 0xffffffff : number(row.fwmask) }
      : null;
  return {
    family,
    priority: row.priority,
    not: 'not' in row,
    from: prefixOf(family, row.src, row.srclen),
    to: prefixOf(family, row.dst, row.dstlen),
    iif: interfaceOf(row.iif, row.iif_detached),
    oif: interfaceOf(row.oif, row.oif_detached),
    fwmark,
    tos,
    dscp:
      row.dscp === undefined
        ? null
        : { value: number(row.dscp), mask: row.dscp_mask === undefined ? 0x3f : number(row.dscp_mask) },
    ipproto:
      row.ipproto === undefined ? null : { number: protocolNumber(String(row.ipproto)), name: String(row.ipproto) },
    sport: portOf(row.sport, row.sport_mask, row.sport_start, row.sport_end),
    dport: portOf(row.dport, row.dport_mask, row.dport_start, row.dport_end),
    uid: row.uid_start !== undefined && row.uid_end !== undefined ? { start: row.uid_start, end: row.uid_end } : null,
    tunId: row.tun_id ?? null,
    action: actionOf(row),
    realms:
      row.flow_to === undefined ? null : row.flow_from === undefined ? row.flow_to : `${row.flow_from}/${row.flow_to}`,
    protocol: row.protocol ?? null,
    unknownKeys,
  };
}

export function policyRules(rows: IpRule[], family: Family): PolicyRule[] {
  return rows.map((row) => policyRule(row, family));
}

/** The table a rule looks up, or null for actions that look up none. */
export function ruleTable(rule: PolicyRule): string | null {
  return rule.action.kind === 'lookup' ? rule.action.table : null;
}
