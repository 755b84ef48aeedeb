/**
 * The rules of the loopback recipe, and the only rules the doctor ever
 * changes: a plain lookup (no `not`, no mark, no suppression, no other
 * action) from a source prefix into a table of its own whose routes, if any,
 * are only `local default dev lo`. WireGuard's, Tailscale's, the kernel's and
 * anyone else's rules have other shapes and are left alone.
 */
import type { IpRoute } from '../../context/ip-types.js';
import { ownerOf } from './owners.js';
import { isLoopbackText, prefixHas, type RulePrefix } from './prefix.js';
import type { PolicyRule } from './rule.js';
import { isLocalDefaultViaLo, isUserTable, routeTable } from '../tables.js';

/** 'loopback': only `local default dev lo`; 'empty': no route of this family; 'other': anything else. */
export function tableKind(routes: IpRoute[], table: string): 'loopback' | 'empty' | 'other' {
  const present = routes.filter((route) => routeTable(route) === table);
  if (present.length === 0) return 'empty';
  return present.every(isLocalDefaultViaLo) ? 'loopback' : 'other';
}

export function loopbackTableOf(rule: PolicyRule): string | null {
  const { action } = rule;
  if (action.kind !== 'lookup' || action.suppressPrefixLength !== null || action.suppressIfgroup !== null) return null;
  return isUserTable(action.table) ? action.table : null;
}

/**
 * A rule of the recipe's shape (see the top of this file); `routes` are
 * those of the rule's family. Into an empty table only with `iif lo`: an
 * empty table says nothing of its purpose, and a rule that also matches
 * forwarded packets is someone else's.
 */
export function isLoopbackRule(rule: PolicyRule, rules: PolicyRule[], routes: IpRoute[]): boolean {
  const table = loopbackTableOf(rule);
  if (table === null || rule.not || rule.fwmark !== null || rule.from === null) return false;
  if (rule.unknownKeys.length || ownerOf(rule, rules, routes) !== null) return false;
  const kind = tableKind(routes, table);
  return kind === 'loopback' || (kind === 'empty' && rule.iif?.name === 'lo' && !rule.iif.detached);
}

/**
 * The fwmark rule of -mark routing: `fwmark N lookup T` (not inverted), T
 * holding `local default dev lo`. wg-quick's `not fwmark` rule is not one.
 */
export function isMarkRule(rule: PolicyRule, routes: IpRoute[]): boolean {
  const table = loopbackTableOf(rule);
  return table !== null && !rule.not && rule.fwmark !== null && tableKind(routes, table) === 'loopback';
}

/** The rule matches the packets of one service only (its protocol and source port), or loopback sources only. */
export function isScopedToService(rule: PolicyRule): boolean {
  if (rule.ipproto !== null && rule.sport !== null) return true;
  return rule.from !== null && isLoopbackPrefix(rule.from);
}

function isLoopbackPrefix(prefix: RulePrefix): boolean {
  return prefix.length >= (prefix.address.includes(':') ? 128 : 8) && isLoopbackText(prefix.address);
}

/**
 * The non-loopback addresses of this host whose every locally generated
 * packet the rule would deliver to lo: the services on them could no longer
 * answer anyone on the network.
 */
export function addressesCutOff(rule: PolicyRule, hostAddresses: string[]): string[] {
  if (isScopedToService(rule) || rule.not) return [];
  if (rule.iif !== null && rule.iif.name !== 'lo') return [];
  return hostAddresses.filter((address) => !isLoopbackText(address) && (!rule.from || prefixHas(rule.from, address)));
}

/** Why the rule can never match a packet generated on this host (whose iif is lo), or null. */
export function deadBecause(rule: PolicyRule): string | null {
  if (rule.iif?.detached) return `iif ${rule.iif.name}: no such interface exists`;
  if (rule.iif && rule.iif.name !== 'lo') {
    return `iif ${rule.iif.name}: the app's replies are generated on this host, and the kernel looks them up with iif lo`;
  }
  if (rule.oif?.detached) return `oif ${rule.oif.name}: no such interface exists`;
  return null;
}
