/**
 * The rule walk told in words: which rules acted on the packet and what
 * each did, ending with the one that decided. Rules that did not match are
 * left out (there are many), except where the report points at one.
 */
import type { IpRoute } from '../../context/ip-types.js';
import { formatRoute } from '../tables.js';
import { ownerNote, ownerOf } from './owners.js';
import type { PolicyRule } from './rule.js';
import { describeRule } from './rule-text.js';
import type { Decision, Step, Walk } from './walk.js';

export function quoteRule(rule: PolicyRule, rules: PolicyRule[], routes: IpRoute[]): string {
  return `rule "${describeRule(rule)}"${ownerNote(ownerOf(rule, rules, routes))}`;
}

/** Why a matching rule matched, when that is not obvious: an inverted rule whose selectors fail. */
function matchedBecause(step: Step): string {
  if (!step.rule.not) return '';
  const failing = step.match.failing.map((selector) => `${selector.text} does not hold: ${selector.why}`);
  return ` (it is inverted and ${failing.join('; ')})`;
}

/** A route as a table answered it (the table is said already). */
function answered(route: IpRoute): string {
  return formatRoute({ ...route, table: undefined });
}

/** The kernel's local rule misses every packet to another host: not worth a line. */
function isLocalMiss(step: Step): boolean {
  return step.outcome === 'miss' && step.table === 'local' && step.rule.from === null && !step.rule.not;
}

export function describeStep(step: Step, rules: PolicyRule[], routes: IpRoute[]): string | null {
  if (isLocalMiss(step)) return null;
  const rule = quoteRule(step.rule, rules, routes);
  const because = matchedBecause(step);
  switch (step.outcome) {
    case 'no-match':
      return null;
    case 'unknown':
      return `${rule}: ${step.why}; the walk stops here`;
    case 'goto':
      return `${rule} matches${because} and jumps to priority ${step.target}`;
    case 'goto-unresolved':
      return `${rule} matches but no rule has the priority it jumps to, so it is skipped`;
    case 'nop':
      return `${rule} matches and does nothing (nop)`;
    case 'miss':
      return `${rule} matches${because}; table ${step.table} has no route for it${step.answer.route ? ` (a throw route)` : ''}, next rule`;
    case 'suppressed':
      return `${rule} matches${because}; table ${step.table} answers ${answered(step.route)}, but ${step.why}; next rule`;
    case 'taken':
      return step.answer.kind === 'route'
        ? `${rule} takes it${because}: table ${step.table} answers ${answered(step.answer.route)}`
        : `${rule} takes it${because}: table ${step.table} answers ${answered(step.answer.route)}, which ends the lookup (${step.answer.error})`;
    case 'refused':
      return `${rule} takes it${because} and ends the lookup (${step.error})`;
  }
}

export function tellWalk(walk: Walk, rules: PolicyRule[], routes: IpRoute[]): string[] {
  const lines = walk.steps.flatMap((step) => describeStep(step, rules, routes) ?? []);
  if (walk.decision.kind === 'no-route') lines.push('no rule takes it: the lookup fails (Network is unreachable)');
  return lines;
}

/** True when the decided route delivers the packet locally over lo. */
export function deliversLocally(decision: Decision): boolean {
  return decision.kind === 'route' && decision.route.type === 'local';
}
