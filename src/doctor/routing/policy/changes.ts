/**
 * A fix as data: the rules and routes it adds and deletes, the exact `ip`
 * commands for them, and the same changes applied to the model, so the
 * doctor can walk the rules as they will be and show that the fix works
 * before anyone runs it. A rule is deleted by its priority and every
 * selector (never by priority alone), so the command cannot remove another rule.
 */
import type { IpRoute } from '../../context/ip-types.js';
import type { Family, PolicyRule } from './rule.js';
import { ruleCommand } from './rule-text.js';

export type RoutingChange =
  /** `placed: false`: no priority given, the kernel puts the rule just after the first rule. */
  | { kind: 'add-rule'; rule: PolicyRule; placed: boolean }
  | { kind: 'del-rule'; rule: PolicyRule }
  | { kind: 'add-route'; family: Family; table: string };

export interface PolicyModel {
  rules: PolicyRule[];
  routes: IpRoute[];
}

const LOCAL_DEFAULT = { 4: '0.0.0.0/0', 6: '::/0' } as const;

export function changeCommand(change: RoutingChange): string[] {
  switch (change.kind) {
    case 'add-rule':
      return ruleCommand('add', change.rule, change.placed);
    case 'del-rule':
      return ruleCommand('del', change.rule);
    case 'add-route':
      return [
        'ip',
        ...(change.family === 6 ? ['-6'] : []),
        'route',
        'add',
        'local',
        LOCAL_DEFAULT[change.family],
        'dev',
        'lo',
        'table',
        change.table,
      ];
  }
}

/** The priority the kernel gives a rule added without one (fib_default_rule_pref): the second rule's, minus 1. */
export function defaultPriority(rules: PolicyRule[]): number {
  const second = rules[1];
  return second && second.priority > 0 ? second.priority - 1 : 0;
}

/** Inserts as the kernel does: after every rule of lower or equal priority. */
function insertRule(rules: PolicyRule[], rule: PolicyRule): PolicyRule[] {
  const at = rules.findIndex((existing) => existing.priority > rule.priority);
  return at < 0 ? [...rules, rule] : [...rules.slice(0, at), rule, ...rules.slice(at)];
}

/** The model after a fix, with the rules it added as they were placed. */
export interface AppliedModel extends PolicyModel {
  added: PolicyRule[];
}

export function applyChanges(model: PolicyModel, changes: RoutingChange[]): AppliedModel {
  let { rules, routes } = model;
  const added: PolicyRule[] = [];
  for (const change of changes) {
    switch (change.kind) {
      case 'add-rule': {
        const rule = change.placed ? change.rule : { ...change.rule, priority: defaultPriority(rules) };
        rules = insertRule(rules, rule);
        added.push(rule);
        break;
      }
      case 'del-rule':
        rules = rules.filter((rule) => rule !== change.rule);
        break;
      case 'add-route':
        routes = [...routes, { type: 'local', dst: 'default', dev: 'lo', table: change.table }];
        break;
    }
  }
  return { rules, routes, added };
}
