/**
 * Rules that belong to other software, recognised by the shape they are
 * created with, so the report can say whose rule takes a packet (and the
 * fixes never touch them: see ./loopback-rules.ts for the only rules the
 * doctor changes).
 * - The kernel's defaults: `0: lookup local`, `32766: lookup main`, `32767: lookup default`.
 * - WireGuard's wg-quick (full tunnel): `not fwmark M lookup M` (M = the
 *   interface's FwMark, 51820 = 0xca6c by default) and
 *   `lookup main suppress_prefixlength 0`; table M holds `default dev wgN`.
 * - Tailscale: `fwmark 0x80000/0xff0000` rules (lookup main, default, unreachable)
 *   at 5210-5250 and `lookup 52` at 5270; table 52 holds routes via tailscale0.
 */
import type { IpRoute } from '../../context/ip-types.js';
import type { PolicyRule } from './rule.js';
import { routeTable } from '../tables.js';

export interface Owner {
  /** Who: "WireGuard (wg-quick)", "the kernel". */
  who: string;
  /** The rule in their terms, naming them: "the kernel's default rule for the main table". */
  what: string;
}

const TAILSCALE_MARK = { value: 0x80000, mask: 0xff0000 };
const TAILSCALE_TABLE = '52';

function hasOnlySelectors(rule: PolicyRule, allowed: ('fwmark' | 'not')[]): boolean {
  const present = {
    from: rule.from !== null,
    to: rule.to !== null,
    iif: rule.iif !== null,
    oif: rule.oif !== null,
    fwmark: rule.fwmark !== null,
    tos: rule.tos !== null || rule.dscp !== null,
    ipproto: rule.ipproto !== null,
    ports: rule.sport !== null || rule.dport !== null,
    uid: rule.uid !== null,
    tunId: rule.tunId !== null,
    not: rule.not,
  };
  return Object.entries(present).every(([key, isSet]) => !isSet || (allowed as string[]).includes(key));
}

/** The interface a table's default route leaves by, if it has one. */
function defaultDevice(routes: IpRoute[], table: string): string | null {
  return routes.find((route) => routeTable(route) === table && route.dst === 'default')?.dev ?? null;
}

function isWgQuickFwmarkRule(rule: PolicyRule): boolean {
  const { action, fwmark } = rule;
  return (
    rule.not &&
    action.kind === 'lookup' &&
    fwmark !== null &&
    fwmark.mask === 0xffffffff &&
    Number(action.table) === fwmark.value &&
    hasOnlySelectors(rule, ['fwmark', 'not'])
  );
}

export function ownerOf(rule: PolicyRule, rules: PolicyRule[], routes: IpRoute[]): Owner | null {
  const { action } = rule;
  if (isWgQuickFwmarkRule(rule) && action.kind === 'lookup') {
    const dev = defaultDevice(routes, action.table);
    return {
      who: 'WireGuard (wg-quick)',
      what: `wg-quick's rule for WireGuard: every packet not marked 0x${(rule.fwmark?.value ?? 0).toString(16)} (the tunnel's own) goes into the tunnel${dev ? ` ${dev}` : ''}`,
    };
  }
  if (
    action.kind === 'lookup' &&
    action.table === 'main' &&
    action.suppressPrefixLength === 0 &&
    hasOnlySelectors(rule, [])
  ) {
    const wg = rules.some((other) => other.family === rule.family && isWgQuickFwmarkRule(other));
    return {
      who: wg ? 'WireGuard (wg-quick)' : 'a VPN client',
      what: `${wg ? "wg-quick's rule for WireGuard" : "a VPN client's rule (wg-quick adds one like it)"}: main's routes win over the tunnel, except its default route`,
    };
  }
  const tailscaleMark =
    rule.fwmark !== null && rule.fwmark.value === TAILSCALE_MARK.value && rule.fwmark.mask === TAILSCALE_MARK.mask;
  if (tailscaleMark || (action.kind === 'lookup' && action.table === TAILSCALE_TABLE)) {
    return { who: 'Tailscale', what: "Tailscale's rule: traffic to the tailnet goes by table 52 (tailscale0)" };
  }
  if (action.kind === 'lookup' && hasOnlySelectors(rule, [])) {
    const defaults: Record<string, string> = {
      local: 'the local table (the addresses of this host)',
      main: 'the main table',
      default: 'the default table',
    };
    const known = defaults[action.table];
    if (known && action.suppressPrefixLength === null && action.suppressIfgroup === null) {
      return { who: 'the kernel', what: `the kernel's default rule for ${known}` };
    }
  }
  return null;
}

/** ` (wg-quick's rule for WireGuard: …)`, or nothing for a rule of no known owner. */
export function ownerNote(owner: Owner | null): string {
  return owner ? ` (${owner.what})` : '';
}
