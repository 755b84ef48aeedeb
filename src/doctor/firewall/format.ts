/**
 * Rules of the model written back in nft's own syntax, for the evidence of
 * native nftables rules (iptables rules keep the spec iptables-save printed).
 */
import { formatCidr } from '../../base/net/cidr.js';
import { addressBits, formatIp } from '../../base/net/ip.js';
import type { AddressItem, Condition, MarkExpr, Rule, Statement } from './model.js';

const PROTOCOL_NAMES: Record<number, string> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 58: 'ipv6-icmp', 132: 'sctp' };

const hex = (value: number) => `0x${(value >>> 0).toString(16)}`;

function list(values: string[]): string {
  return values.length === 1 ? values[0]! : `{ ${values.join(', ')} }`;
}

function addressText(item: AddressItem): string {
  if ('range' in item) return `${formatIp(item.range[0])}-${formatIp(item.range[1])}`;
  return item.prefix.length === addressBits(item.prefix.address.family)
    ? formatIp(item.prefix.address)
    : formatCidr(item.prefix);
}

function portText([from, to]: [number, number]): string {
  return from === to ? String(from) : `${from}-${to}`;
}

export function formatCondition(condition: Condition): string {
  const not = 'negate' in condition && condition.negate ? '!= ' : '';
  switch (condition.kind) {
    case 'family':
      return `meta nfproto ipv${condition.family}`;
    case 'l4proto':
      return `meta l4proto ${not}${list(condition.protocols.map((p) => PROTOCOL_NAMES[p] ?? String(p)))}`;
    case 'address': {
      const family =
        condition.items[0] && 'prefix' in condition.items[0] ? condition.items[0].prefix.address.family : 4;
      return `${family === 6 ? 'ip6' : 'ip'} ${condition.field} ${not}${list(condition.items.map(addressText))}`;
    }
    case 'port': {
      const proto = condition.protocols.length === 1 ? (PROTOCOL_NAMES[condition.protocols[0]!] ?? 'th') : 'th';
      const field = condition.field === 'either' ? 'sport|dport' : condition.field;
      return `${proto} ${field} ${not}${list(condition.ranges.map(portText))}`;
    }
    case 'interface':
      return `${condition.field}name ${not}${list(condition.names.map((name) => `"${name}"`))}`;
    case 'mark': {
      const masked = condition.mask === 0xffffffff ? '' : ` & ${hex(condition.mask)} ==`;
      return `${condition.of} mark${masked} ${not}${hex(condition.value)}`;
    }
    case 'ct-state':
      return `ct state ${not}${condition.states.join(',')}`;
    case 'ct-direction':
      return `ct direction ${not}${condition.direction}`;
    case 'tcp-flags':
      return condition.any
        ? `tcp flags ${not}${condition.set.join('|')}`
        : `tcp flags & (${condition.mask.join('|')}) ${condition.negate ? '!=' : '=='} ${condition.set.join('|') || '0x0'}`;
    case 'unknown':
      return condition.text;
  }
}

function formatMark(expr: MarkExpr): string {
  if ('const' in expr) return hex(expr.const);
  if ('of' in expr) return `${expr.of} mark`;
  return `(${formatMark(expr.left)} ${expr.op} ${formatMark(expr.right)})`;
}

export function formatStatement(statement: Statement): string {
  switch (statement.kind) {
    case 'verdict':
      return statement.verdict;
    case 'jump':
    case 'goto':
      return `${statement.kind} ${statement.chain}`;
    case 'vmap':
      return `${statement.key} vmap { ${statement.entries
        .map((entry) => `${entry.values.map(String).join(', ')} : ${formatStatement(entry.verdict)}`)
        .join(', ')} }`;
    case 'set-mark':
      return `${statement.target} mark set ${formatMark(statement.value)}`;
    case 'notrack':
      return 'notrack';
    case 'nat':
    case 'unknown':
      return statement.text;
  }
}

/** `ip saddr != 127.0.0.1 tcp dport 8080 counter drop`, or the iptables spec for iptables rules. */
export function formatRule(rule: Rule): string {
  if (rule.text) return rule.text;
  const parts = [
    ...rule.conditions.filter((condition) => condition.kind !== 'family').map(formatCondition),
    ...(rule.counter ? ['counter'] : []),
    ...rule.statements.map(formatStatement),
  ];
  return parts.join(' ');
}
