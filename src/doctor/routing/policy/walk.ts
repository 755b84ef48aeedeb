/**
 * The rule walk of fib_rules_lookup(): rules in the kernel's order (by
 * priority, then in the order they were added, which is the order `ip rule`
 * lists them), each matched against the packet; a matching rule acts:
 * - `goto N` jumps to the first rule whose priority is N (an unresolved goto is skipped);
 * - `nop` does nothing;
 * - `blackhole`, `unreachable`, `prohibit` end the lookup with that error;
 * - a lookup asks its table; a miss (or a `throw` route) goes on to the next
 *   rule; a found route is taken unless the rule suppresses it
 *   (`suppress_prefixlength N`: routes of prefix length N or shorter;
 *   `suppress_ifgroup G`: routes through an interface of group G), in which
 *   case the walk goes on as if the rule had not matched.
 * When no rule takes the packet, the lookup fails with "Network is unreachable".
 * Each step is kept so the report can tell the story.
 */
import type { IpRoute } from '../../context/ip-types.js';
import type { Flow } from './flow.js';
import { matchRule, type RuleMatch } from './match.js';
import type { PolicyRule } from './rule.js';
import { lookupTable, type TableAnswer } from './table.js';

export type Step = { rule: PolicyRule; match: RuleMatch } & (
  | { outcome: 'no-match' }
  /** The rule has selectors this code cannot evaluate: the walk stops here. */
  | { outcome: 'unknown'; why: string }
  | { outcome: 'goto'; target: number }
  | { outcome: 'goto-unresolved' }
  | { outcome: 'nop' }
  | { outcome: 'miss'; table: string; answer: TableAnswer }
  | { outcome: 'suppressed'; table: string; route: IpRoute; why: string }
  | { outcome: 'taken'; table: string; answer: Exclude<TableAnswer, { kind: 'miss' }> }
  | { outcome: 'refused'; error: 'blackhole' | 'unreachable' | 'prohibit' }
);

export type Decision =
  /** A route was found: `rule` took the packet. */
  | { kind: 'route'; rule: PolicyRule; table: string; route: IpRoute }
  /** The lookup ends with an error, by a rule's action or an error route in its table. */
  | { kind: 'error'; rule: PolicyRule; error: 'blackhole' | 'unreachable' | 'prohibit'; route?: IpRoute }
  /** No rule took it: ENETUNREACH. */
  | { kind: 'no-route' }
  /** The walk reached a rule it cannot evaluate. */
  | { kind: 'unknown'; rule: PolicyRule; why: string };

export interface Walk {
  steps: Step[];
  decision: Decision;
}

export interface WalkInput {
  /** Rules of the flow's family, in `ip rule` order. */
  rules: PolicyRule[];
  /** Routes of the flow's family, every table. */
  routes: IpRoute[];
  /** Interface groups by name (`ip -j link`), for suppress_ifgroup. */
  groups: ReadonlyMap<string, string>;
}

function suppression(rule: PolicyRule, answer: TableAnswer, groups: ReadonlyMap<string, string>): string | null {
  if (rule.action.kind !== 'lookup' || answer.kind !== 'route') return null;
  const { suppressPrefixLength, suppressIfgroup } = rule.action;
  if (suppressPrefixLength !== null && answer.prefix.length <= suppressPrefixLength) {
    return `its answer is a /${answer.prefix.length} route, and suppress_prefixlength ${suppressPrefixLength} refuses routes that short`;
  }
  const dev = answer.route.dev;
  if (suppressIfgroup !== null && dev !== undefined && groups.get(dev) === suppressIfgroup) {
    return `its answer goes through ${dev}, of interface group ${suppressIfgroup}, which suppress_ifgroup refuses`;
  }
  return null;
}

export function walkRules(input: WalkInput, flow: Flow): Walk {
  const { rules, routes, groups } = input;
  const steps: Step[] = [];
  let index = 0;
  // A goto only jumps forward (the kernel refuses a target at or before the rule), so
  // every rule is visited at most once; the bound is a guard against a malformed listing.
  for (let visits = 0; index < rules.length && visits <= rules.length; visits++) {
    const rule = rules[index] as PolicyRule;
    const match = matchRule(rule, flow);
    const next = () => index++;
    if (match.matches === null) {
      const why = `it has selectors this doctor cannot evaluate (${rule.unknownKeys.join(', ')})`;
      steps.push({ rule, match, outcome: 'unknown', why });
      return { steps, decision: { kind: 'unknown', rule, why } };
    }
    if (!match.matches) {
      steps.push({ rule, match, outcome: 'no-match' });
      next();
      continue;
    }
    const { action } = rule;
    switch (action.kind) {
      case 'goto': {
        const target = action.target === null ? -1 : rules.findIndex((r) => r.priority === action.target);
        if (action.unresolved || target <= index) {
          steps.push({ rule, match, outcome: 'goto-unresolved' });
          next();
        } else {
          steps.push({ rule, match, outcome: 'goto', target: action.target as number });
          index = target;
        }
        continue;
      }
      case 'nop':
        steps.push({ rule, match, outcome: 'nop' });
        next();
        continue;
      case 'blackhole':
      case 'unreachable':
      case 'prohibit':
        steps.push({ rule, match, outcome: 'refused', error: action.kind });
        return { steps, decision: { kind: 'error', rule, error: action.kind } };
      case 'l3mdev': {
        const why = 'it looks up the table of a VRF, which this doctor does not model';
        steps.push({ rule, match, outcome: 'unknown', why });
        return { steps, decision: { kind: 'unknown', rule, why } };
      }
      case 'lookup': {
        const answer = lookupTable(routes, action.table, flow);
        if (answer.kind === 'miss') {
          steps.push({ rule, match, outcome: 'miss', table: action.table, answer });
          next();
          continue;
        }
        const suppressed = suppression(rule, answer, groups);
        if (suppressed !== null) {
          steps.push({ rule, match, outcome: 'suppressed', table: action.table, route: answer.route, why: suppressed });
          next();
          continue;
        }
        steps.push({ rule, match, outcome: 'taken', table: action.table, answer });
        const decision: Decision =
          answer.kind === 'route'
            ? { kind: 'route', rule, table: action.table, route: answer.route }
            : { kind: 'error', rule, error: answer.error, route: answer.route };
        return { steps, decision };
      }
    }
  }
  return { steps, decision: { kind: 'no-route' } };
}
