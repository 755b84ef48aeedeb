/**
 * A lookup in one routing table, as fib_table_lookup() / fib6_lookup() answer
 * it for the rule that asked: the most specific route containing the
 * destination (then the lowest metric). Route types decide what happens
 * next: `throw` and a miss hand the lookup back to the next rule;
 * `unreachable`, `prohibit` and `blackhole` end it with an error. How a
 * socket bound to a device narrows the choice of route (fib_lookup_good_nhc,
 * RT6_LOOKUP_F_IFACE) is not modelled: the doctor's flows have no oif.
 */
import type { IpRoute } from '../../context/ip-types.js';
import { routeTable } from '../tables.js';
import type { Flow } from './flow.js';
import { parsePrefix, prefixHas, type RulePrefix } from './prefix.js';

export type TableAnswer =
  | { kind: 'route'; route: IpRoute; prefix: RulePrefix }
  | { kind: 'error'; route: IpRoute; prefix: RulePrefix; error: 'unreachable' | 'prohibit' | 'blackhole' }
  /** No route, or a `throw` route: the next rule is tried. */
  | { kind: 'miss'; route?: IpRoute };

export function routePrefix(route: IpRoute, family: 4 | 6): RulePrefix | null {
  if (route.dst === 'default') return { address: family === 4 ? '0.0.0.0' : '::', length: 0 };
  return parsePrefix(route.dst.includes('/') ? route.dst : `${route.dst}/${family === 4 ? 32 : 128}`);
}

const ERROR_TYPES = new Set(['unreachable', 'prohibit', 'blackhole']);

export function lookupTable(routes: IpRoute[], table: string, flow: Flow): TableAnswer {
  let best: { route: IpRoute; prefix: RulePrefix } | null = null;
  for (const route of routes) {
    if (routeTable(route) !== table || route.flags?.includes('dead')) continue;
    const prefix = routePrefix(route, flow.family);
    if (!prefix || !prefixHas(prefix, flow.dst)) continue;
    // IPv6 source-specific routes ("from 2001:db8::/64") only hold for their sources.
    const from = route.from ? parsePrefix(route.from) : null;
    if (from && !prefixHas(from, flow.src)) continue;
    const better =
      !best ||
      prefix.length > best.prefix.length ||
      (prefix.length === best.prefix.length && (route.metric ?? 0) < (best.route.metric ?? 0));
    if (better) best = { route, prefix };
  }
  if (!best) return { kind: 'miss' };
  const type = best.route.type ?? 'unicast';
  if (type === 'throw') return { kind: 'miss', route: best.route };
  if (ERROR_TYPES.has(type)) return { kind: 'error', ...best, error: type as 'unreachable' | 'prohibit' | 'blackhole' };
  return { kind: 'route', ...best };
}
