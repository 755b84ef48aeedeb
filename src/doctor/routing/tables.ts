/** Reading routing tables and rules as data, and choosing free numbers for fixes. */
import type { IpRoute, IpRule } from '../context/ip-types.js';
import { policyRule } from './policy/rule.js';
import { describeRule } from './policy/rule-text.js';

/** The rule `main` normally sits at; a loopback rule must come before it. */
export const DEFAULT_MAIN_PRIORITY = 32766;
/** The table number of the well-known recipe, used when it is free. */
export const PREFERRED_TABLE = 123;
// 253..255 are default/main/local; 0 is unspec.
const USER_TABLES = { first: 100, last: 252 };
const RESERVED_TABLES = new Set(['local', 'main', 'default', '253', '254', '255', '0']);

/** Routes of the main table carry no "table" field in `ip -j route show table all`. */
export function routeTable(route: IpRoute): string {
  return route.table ?? 'main';
}

export function isLocalDefaultViaLo(route: IpRoute): boolean {
  return route.type === 'local' && route.dst === 'default' && route.dev === 'lo';
}

export function tableHasLocalDefault(routes: IpRoute[], table: string): boolean {
  return routes.some((route) => routeTable(route) === table && isLocalDefaultViaLo(route));
}

export function tableRoutes(routes: IpRoute[], table: string): IpRoute[] {
  return routes.filter((route) => routeTable(route) === table);
}

export function mainPriority(rules: IpRule[]): number {
  return rules.find((rule) => rule.table === 'main' && rule.src === 'all')?.priority ?? DEFAULT_MAIN_PRIORITY;
}

export function isUserTable(table: string | undefined): table is string {
  return table !== undefined && !RESERVED_TABLES.has(table);
}

/** Every table a rule looks up or a route lives in. */
export function tablesInUse(rules: readonly { table?: string }[], routes: IpRoute[]): Set<string> {
  const used = new Set<string>();
  for (const rule of rules) if (rule.table) used.add(rule.table);
  for (const route of routes) used.add(routeTable(route));
  return used;
}

/** 123 when nothing uses it, else the first free number in 100..252. */
export function freeTable(used: Set<string>): string {
  if (!used.has(String(PREFERRED_TABLE))) return String(PREFERRED_TABLE);
  for (let table = USER_TABLES.first; table <= USER_TABLES.last; table++) {
    if (!used.has(String(table))) return String(table);
  }
  throw new Error('every routing table from 100 to 252 is in use; pick a free one by hand');
}

/** Where new loopback or fwmark routing goes, and whether the table still needs its local route. */
export interface NewRoutingTable {
  table: string;
  needsRoute: boolean;
}

/**
 * The table asked for (`mmproxy setup-routing --table N`) when it holds
 * nothing of this family but, at most, the local default route the fix would
 * add; a free one (freeTable) when none was asked for. `familyRoutes` are the
 * routes of the family being fixed, `used` the tables of both families.
 */
export function tableForNewRouting(
  requested: string | undefined,
  familyRoutes: IpRoute[],
  used: Set<string>,
): NewRoutingTable {
  if (requested === undefined) return { table: freeTable(used), needsRoute: true };
  const present = tableRoutes(familyRoutes, requested);
  const others = present.filter((route) => !isLocalDefaultViaLo(route));
  if (others.length) {
    throw new Error(`table ${requested} already holds ${others.map(formatRoute).join('; ')}; choose another --table`);
  }
  return { table: requested, needsRoute: present.length === 0 };
}

/** The highest free priority below `limit`, for moving a rule before the one that takes its packets. */
export function freePriorityBefore(rules: readonly { priority: number }[], limit: number): number {
  const taken = new Set(rules.map((rule) => rule.priority));
  for (let priority = limit - 1; priority > 0; priority--) if (!taken.has(priority)) return priority;
  throw new Error(`no free rule priority before ${limit}`);
}

/** A rule as `ip rule show` prints it, every selector included. */
export function formatRule(rule: IpRule): string {
  const family = [rule.src, rule.dst].some((address) => address?.includes(':')) ? 6 : 4;
  return describeRule(policyRule(rule, family));
}

export function formatRoute(route: IpRoute): string {
  const parts: string[] = [];
  if (route.type && route.type !== 'unicast') parts.push(route.type);
  parts.push(route.dst);
  if (route.from) parts.push('from', route.from);
  if (route.gateway) parts.push('via', route.gateway);
  if (route.dev) parts.push('dev', route.dev);
  if (route.table) parts.push('table', route.table);
  if (route.mark) parts.push('mark', String(route.mark));
  return parts.join(' ');
}
