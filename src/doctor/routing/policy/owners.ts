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
import { routeTable } from './table.js';

export interface Owner {
  /** Who: "WireGuard (wg-quick)", "the kernel". */
  who: string;
  /** What the rule is for, in their terms. */
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
      what: `sends every packet not marked ${rule.fwmark?.value ?? ''} (the tunnel's own) into the tunnel${dev ? ` ${dev}` : ''}`,
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
      who: wg ? 'WireGuard (wg-quick)' : 'a VPN client (wg-quick adds this rule)',
      what: "lets main's specific routes win over the tunnel, but not main's default route",
    };
  }
  const tailscaleMark =
    rule.fwmark !== null && rule.fwmark.value === TAILSCALE_MARK.value && rule.fwmark.mask === TAILSCALE_MARK.mask;
  if (tailscaleMark || (action.kind === 'lookup' && action.table === TAILSCALE_TABLE)) {
    return { who: 'Tailscale', what: 'routes traffic into the tailnet (table 52, tailscale0)' };
  }
  if (action.kind === 'lookup' && hasOnlySelectors(rule, [])) {
    const defaults: Record<string, string> = {
      local: 'the local table (the addresses of this host)',
      main: 'the main table',
      default: 'the default table',
    };
    const known = defaults[action.table];
    if (known && action.suppressPrefixLength === null && action.suppressIfgroup === null) {
      return { who: 'the kernel', what: `its default rule for ${known}` };
    }
  }
  return null;
}

/** `rule "32764: …" (WireGuard (wg-quick): …)` or just the quoted rule. */
export function ownerNote(owner: Owner | null): string {
  return owner ? ` (${owner.who}: ${owner.what})` : '';
}
