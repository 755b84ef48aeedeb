/**
 * The loopback routing of one target, judged and, when broken, repaired
 * with the narrowest change that works:
 * - the app's reply is walked through the rules (./walk.ts) to name the
 *   rule that takes it and why; the kernel's own answer (`ip route get` with
 *   the reply's selectors) decides whether it works, the walk explains it;
 * - a rule of the recipe's shape that is dead (iif other than lo) is
 *   corrected in place, one behind another rule is moved before it, one
 *   whose table lacks the local route gets it; only when no such rule fits
 *   is a new one added, into a table that already serves loopback routing
 *   when there is one;
 * - a new or corrected rule matches only the app's replies (its protocol and
 *   source port): a rule for every packet from a host address would also
 *   take the replies of every other service on that address away from the
 *   network. An existing rule that does exactly that is replaced.
 * Every fix is applied to the model and walked again before it is offered.
 */
import { addressBits } from '../../../base/net/ip.js';
import { formatPortSpan } from '../../../base/net/port-span.js';
import type { IpRoute } from '../../context/ip-types.js';
import { type AppliedModel, applyChanges, type PolicyModel, type RoutingChange } from './changes.js';
import { deliversLocally, quoteRule, tellWalk } from './explain.js';
import { IPPROTO, type Flow } from './flow.js';
import { addressesCutOff, deadBecause, isLoopbackRule, loopbackTableOf, tableKind } from './loopback-rules.js';
import { matchRule } from './match.js';
import { ownerOf } from './owners.js';
import { isLoopbackText, prefixHas } from './prefix.js';
import { type Family, type PolicyRule, ruleTable } from './rule.js';
import { formatRoute, freePriorityBefore, routeTable, freeTable, isUserTable, tablesInUse } from '../tables.js';
import { describeRule } from './rule-text.js';
import { walkRules, type Step, type Walk } from './walk.js';

export interface LoopbackInput {
  /** `lastPort` when the target is a port range: a new rule covers every port of it. */
  target: { family: Family; address: string; port: number; lastPort?: number };
  protocol: 'tcp' | 'udp';
  /** -dynamic-destination: the app's replies may come from any port, so a rule cannot be scoped to one. */
  anyPort: boolean;
  /** The reply, with the selectors it really carries. */
  flow: Flow;
  /** Rules and routes of the target's family, and of the other family (table numbers are shared). */
  rules: PolicyRule[];
  routes: IpRoute[];
  otherRules: PolicyRule[];
  otherRoutes: IpRoute[];
  groups: ReadonlyMap<string, string>;
  /** The addresses of this host in the target's family. */
  hostAddresses: string[];
  /** The kernel's verdict: does `ip route get` for the reply answer local dev lo? */
  kernelDelivers: boolean;
  /** `setup-routing --table N`: the table new routing must use. */
  requestedTable?: string;
}

export interface LoopbackPlan {
  status: 'ok' | 'warn' | 'fail';
  summary: string;
  evidence: string[];
  changes: RoutingChange[];
  /** What the fix does and why it is safe; set when there is a finding. */
  fixText?: string;
}

const LO = { name: 'lo', detached: false };

interface Planner {
  input: LoopbackInput;
  model: PolicyModel;
  walk: Walk;
  quote(rule: PolicyRule): string;
}

/** The rule narrowed to the app's replies: its protocol, and its port unless replies may come from any. */
function scoped(rule: PolicyRule, input: LoopbackInput): PolicyRule {
  return {
    ...rule,
    ipproto: rule.ipproto ?? { number: IPPROTO[input.protocol], name: input.protocol },
    sport: rule.sport ?? (input.anyPort ? null : { start: input.target.port, end: lastPort(input) }),
  };
}

const lastPort = (input: LoopbackInput) => input.target.lastPort ?? input.target.port;

/** The rule the doctor adds: replies of the app, from the target, generated here, into `table`. */
function replyRule(input: LoopbackInput, table: string): PolicyRule {
  return scoped(
    {
      family: input.target.family,
      priority: 0,
      not: false,
      from: { address: input.target.address, length: addressBits(input.target.family) },
      to: null,
      iif: LO,
      oif: null,
      fwmark: null,
      tos: null,
      dscp: null,
      ipproto: null,
      sport: null,
      dport: null,
      uid: null,
      tunId: null,
      action: { kind: 'lookup', table, suppressPrefixLength: null, suppressIfgroup: null },
      realms: null,
      protocol: null,
      unknownKeys: [],
    },
    input,
  );
}

/** Why the added rule names a protocol and port, said with every fix that adds or rewrites a rule. */
function scopeNote(input: LoopbackInput): string {
  const { address } = input.target;
  const port =
    lastPort(input) === input.target.port ? `${input.target.port}` : `${input.target.port}-${lastPort(input)}`;
  const proto = input.protocol.toUpperCase();
  if (input.anyPort) {
    return `With -dynamic-destination the replies may come from any port, so the rule names only the protocol (${proto}).`;
  }
  const base = `The rule matches only the app's replies (${proto} from ${address} port ${port}), so no other traffic of this host is routed differently.`;
  if (input.hostAddresses.includes(address) && !isLoopback(input)) {
    return (
      `${base} A rule for every packet from ${address} would send the replies of every other service on ${address} (sshd among them) to lo, and they would stop answering the network. ` +
      `Clients connecting to ${formatPortSpan({ ...input.target, lastPort: lastPort(input) })} directly, not through mmproxy, are not answered any more either: if the app must serve them too, bind it to 127.0.0.1 as well and point -${input.target.family} there.`
    );
  }
  return base;
}

function isLoopback(input: LoopbackInput): boolean {
  return isLoopbackText(input.target.address);
}

// ---------------------------------------------------------------- tables

function usedTables(input: LoopbackInput): Set<string> {
  const rules = [...input.rules, ...input.otherRules].map((rule) => ({ table: ruleTable(rule) ?? undefined }));
  return tablesInUse(rules, [...input.routes, ...input.otherRoutes]);
}

/**
 * A table new loopback routing may use: only loopback rules (of either
 * family) look it up, and it holds nothing of this family but the local route.
 */
function reusable(input: LoopbackInput, table: string): boolean {
  if (!isUserTable(table) || tableKind(input.routes, table) === 'other') return false;
  const users = (rules: PolicyRule[], routes: IpRoute[]) =>
    rules
      .filter((rule) => rule.action.kind === 'lookup' && rule.action.table === table)
      .every((rule) => isLoopbackRule(rule, rules, routes));
  return users(input.rules, input.routes) && users(input.otherRules, input.otherRoutes);
}

interface TableChoice {
  table: string;
  needsRoute: boolean;
}

/**
 * The asked-for table; else one already serving loopback routing (one with
 * the route first); else a free one. An asked-for table that routes
 * something else is refused by throwing: setup-routing then changes nothing.
 */
function tableForNewRule(input: LoopbackInput, preferred: string[] = []): TableChoice {
  const needsRoute = (table: string) => tableKind(input.routes, table) === 'empty';
  const requested = input.requestedTable;
  if (requested !== undefined) {
    if (reusable(input, requested)) return { table: requested, needsRoute: needsRoute(requested) };
    const held = input.routes.filter((route) => routeTable(route) === requested).map(formatRoute);
    const users = [...input.rules, ...input.otherRules].filter((rule) => ruleTable(rule) === requested);
    throw new Error(
      held.length
        ? `table ${requested} already holds ${held.join('; ')}; choose another --table`
        : `table ${requested} is looked up by ${users.map((rule) => `rule "${describeRule(rule)}"`).join(', ')}; choose another --table`,
    );
  }
  const serving = [
    ...preferred,
    ...[...input.rules, ...input.otherRules].flatMap((rule) => loopbackTableOf(rule) ?? []),
  ].filter((table) => reusable(input, table));
  const withRoute = serving.find((table) => tableKind(input.routes, table) === 'loopback');
  const chosen = withRoute ?? serving[0];
  if (chosen !== undefined) return { table: chosen, needsRoute: needsRoute(chosen) };
  return { table: freeTable(usedTables(input)), needsRoute: true };
}

// ---------------------------------------------------------------- positions

/** The step that keeps a matching rule from being reached: a goto over it, or the rule that decided first. */
function blockerOf(walk: Walk, rule: PolicyRule): Step | null {
  const jump = walk.steps.find(
    (step) => step.outcome === 'goto' && step.rule.priority < rule.priority && step.target > rule.priority,
  );
  if (jump) return jump;
  const last = walk.steps[walk.steps.length - 1];
  return last && last.rule !== rule && last.outcome !== 'no-match' ? last : null;
}

function simulate(planner: Planner, changes: RoutingChange[]): { walk: Walk; model: AppliedModel } {
  const model = applyChanges(planner.model, changes);
  return { walk: walkRules({ ...model, groups: planner.input.groups }, planner.input.flow), model };
}

/**
 * Adds `rule` (replacing `old`, when given) where it takes the reply: at
 * its own place if the walk then delivers, else just before whatever rule
 * still takes the reply first.
 */
function placeRule(
  planner: Planner,
  rule: PolicyRule,
  old: PolicyRule | null,
  extra: RoutingChange[],
  placed: boolean,
): RoutingChange[] {
  const changes = (candidate: PolicyRule, isPlaced: boolean): RoutingChange[] => [
    ...extra,
    { kind: 'add-rule', rule: candidate, placed: isPlaced },
    ...(old ? [{ kind: 'del-rule' as const, rule: old }] : []),
  ];
  const first = changes(rule, placed);
  const trial = simulate(planner, first);
  if (deliversLocally(trial.walk.decision)) return first;
  const added = trial.model.added[trial.model.added.length - 1] ?? rule;
  const blocker = blockerOf(trial.walk, added);
  if (!blocker) return first;
  const priority = freePriorityBefore(planner.model.rules, blocker.rule.priority);
  return changes({ ...rule, priority }, true);
}

// ---------------------------------------------------------------- findings

interface Finding {
  status: 'fail' | 'warn';
  summary: string;
  evidence: string[];
  changes: RoutingChange[];
  fixText: string;
}

function deadRuleFinding(planner: Planner, rule: PolicyRule, why: string): Finding | null {
  const { input } = planner;
  const corrected0: PolicyRule = { ...rule, iif: LO, oif: rule.oif?.detached ? null : rule.oif };
  const corrected = addressesCutOff(corrected0, input.hostAddresses).length ? scoped(corrected0, input) : corrected0;
  if (matchRule(corrected, input.flow).matches !== true) return null;
  const table = loopbackTableOf(rule) as string;
  const route: RoutingChange[] =
    tableKind(input.routes, table) === 'empty' ? [{ kind: 'add-route', family: input.target.family, table }] : [];
  return {
    status: 'fail',
    summary: `${planner.quote(rule)} never matches replies from ${input.target.address}: ${why}`,
    evidence: [],
    changes: placeRule(planner, corrected, rule, route, true),
    fixText: [
      `Correct the rule in place: add it again with iif lo${corrected.sport && !rule.sport ? ` and scoped to the app's port` : ''}, then delete the dead one by all its selectors (no second table).`,
      ...(corrected !== corrected0 ? [scopeNote(input)] : []),
    ].join(' '),
  };
}

function blockedFinding(planner: Planner, rule: PolicyRule, blocker: Step): Finding {
  const { input } = planner;
  const owner = ownerOf(blocker.rule, planner.model.rules, planner.model.routes);
  const mainRule =
    owner?.who === 'the kernel' && blocker.rule.action.kind === 'lookup' && blocker.rule.action.table === 'main';
  const moved = addressesCutOff(rule, input.hostAddresses).length ? scoped(rule, input) : rule;
  const priority = freePriorityBefore(planner.model.rules, blocker.rule.priority);
  const summary =
    blocker.outcome === 'goto'
      ? `${planner.quote(blocker.rule)} jumps over ${planner.quote(rule)} (goto ${blocker.target}), so replies from ${input.target.address} never reach it`
      : mainRule
        ? `${planner.quote(rule)} comes after main (priority ${blocker.rule.priority}), so main's routes win`
        : `${planner.quote(blocker.rule)} takes replies from ${input.target.address} before ${planner.quote(rule)} can`;
  return {
    status: 'fail',
    summary,
    evidence: [],
    changes: placeRule(planner, { ...moved, priority }, rule, [], true),
    fixText: [
      `Move the rule, with all its selectors, before rule ${blocker.rule.priority}${owner ? ` (${owner.who})` : ''}: add it at priority ${priority}, then delete the old one by all its selectors.`,
      ...(owner && owner.who !== 'the kernel' ? [`The rules of ${owner.who} are left as they are.`] : []),
      ...(moved !== rule ? [scopeNote(input)] : []),
    ].join(' '),
  };
}

function emptyTableFinding(planner: Planner, rule: PolicyRule): Finding {
  const { input } = planner;
  const table = loopbackTableOf(rule) as string;
  const localDefault = input.target.family === 6 ? '::/0' : '0.0.0.0/0';
  const summary = `${planner.quote(rule)} catches replies from ${input.target.address}, but table ${table} has no \`local ${localDefault} dev lo\` route`;
  if (reusable(input, table)) {
    const route: RoutingChange[] = [{ kind: 'add-route', family: input.target.family, table }];
    // With the route, a rule for every packet from a host address would cut its other services off: narrow it first.
    if (addressesCutOff(rule, input.hostAddresses).length) {
      return {
        status: 'fail',
        summary,
        evidence: [`table ${table} is empty`],
        changes: placeRule(planner, scoped(rule, input), rule, route, true),
        fixText: `Add the local route to table ${table} and narrow the rule in place. ${scopeNote(input)}`,
      };
    }
    const trial = simulate(planner, route);
    return {
      status: 'fail',
      summary,
      evidence: [`table ${table} is empty`],
      changes: deliversLocally(trial.walk.decision) ? route : placeRule(planner, rule, rule, route, true),
      fixText: `Add the local route to table ${table}.`,
    };
  }
  // Others look up this table too: a local default route in it would change their traffic.
  const { requestedTable: _, ...unrequested } = input;
  const choice = tableForNewRule(unrequested, []);
  const repointed: PolicyRule = {
    ...rule,
    action: { kind: 'lookup', table: choice.table, suppressPrefixLength: null, suppressIfgroup: null },
  };
  return {
    status: 'fail',
    summary,
    evidence: [`other rules look up table ${table}: a local default route there would change their traffic`],
    changes: placeRule(
      planner,
      repointed,
      rule,
      choice.needsRoute ? [{ kind: 'add-route', family: input.target.family, table: choice.table }] : [],
      true,
    ),
    fixText: `Point the rule at table ${choice.table}, which serves only loopback routing.`,
  };
}

function newRuleFinding(planner: Planner, summary: string, evidence: string[], preferred: string[]): Finding {
  const { input } = planner;
  const choice = tableForNewRule(input, preferred);
  const route: RoutingChange[] = choice.needsRoute
    ? [{ kind: 'add-route', family: input.target.family, table: choice.table }]
    : [];
  const tableNote = choice.needsRoute
    ? `in table ${choice.table}`
    : `to table ${choice.table}, which already holds the local route`;
  const unsafe = input.anyPort && input.hostAddresses.includes(input.target.address) && !isLoopback(input);
  if (unsafe) {
    return {
      status: 'fail',
      summary,
      evidence,
      changes: [],
      fixText:
        `With -dynamic-destination no rule can single out the app's replies from ${input.target.address}, and a rule for all of them would cut every other service on that address off the network: ` +
        `bind the app to 127.0.0.1 (or ::1) and point -${input.target.family} there.`,
    };
  }
  return {
    status: 'fail',
    summary,
    evidence: [
      ...evidence,
      choice.needsRoute ? `table ${choice.table} is free` : `table ${choice.table} already serves loopback routing`,
    ],
    changes: placeRule(planner, replyRule(input, choice.table), null, route, false),
    fixText: `Add a rule for the app's replies ${tableNote}. ${scopeNote(input)}`,
  };
}

/** Why the reply is not delivered locally, and the narrowest fix. */
function brokenFinding(planner: Planner): Finding {
  const { input, model, walk } = planner;
  const { address } = input.target;
  const loopback = model.rules.filter((rule) => isLoopbackRule(rule, model.rules, model.routes));
  const covering = loopback.filter((rule) => rule.from !== null && prefixHas(rule.from, address));

  for (const rule of covering) {
    const why = deadBecause(rule);
    const finding = why === null ? null : deadRuleFinding(planner, rule, why);
    if (finding) return finding;
  }
  const matching = covering.find((rule) => matchRule(rule, input.flow).matches === true);
  if (matching) {
    if (tableKind(model.routes, loopbackTableOf(matching) as string) === 'empty')
      return emptyTableFinding(planner, matching);
    const blocker = blockerOf(walk, matching);
    if (blocker) return blockedFinding(planner, matching, blocker);
  }
  const preferred = loopback.flatMap((rule) => loopbackTableOf(rule) ?? []);
  const other = covering.find((rule) => matchRule(rule, input.flow).matches === false);
  if (other) {
    const failing = matchRule(other, input.flow).failing.map((selector) => `${selector.text} (${selector.why})`);
    return newRuleFinding(
      planner,
      `${planner.quote(other)} does not match replies from ${address}: ${failing.join(', ')}`,
      ['it is left for the traffic it was written for'],
      preferred,
    );
  }
  const elsewhere = loopback.find((rule) => tableKind(model.routes, loopbackTableOf(rule) as string) === 'loopback');
  if (elsewhere) {
    return newRuleFinding(
      planner,
      `${planner.quote(elsewhere)} does not cover the target ${address}: replies from ${address} miss it`,
      [`table ${loopbackTableOf(elsewhere)} has the local route, only the rule's source is too narrow`],
      preferred,
    );
  }
  return newRuleFinding(
    planner,
    `no rule sends replies from ${address} (iif lo) to a table with a local route`,
    [],
    preferred,
  );
}

/** A working rule that also cuts other services off the network, or that only some clients' replies match. */
function workingFinding(planner: Planner): Finding | null {
  const { input, walk } = planner;
  const decision = walk.decision;
  if (decision.kind !== 'route') return null;
  const rule = decision.rule;
  if (isLoopbackRule(rule, planner.model.rules, planner.model.routes)) {
    const cut = addressesCutOff(rule, input.hostAddresses);
    if (cut.length) {
      const replacement = scoped(rule, input);
      const possible = !input.anyPort;
      return {
        status: 'fail',
        summary: `${planner.quote(rule)} delivers every packet this host sends from ${cut.join(', ')} to lo: the other services on ${cut.length > 1 ? 'these addresses' : 'that address'} cannot answer clients on the network`,
        evidence: [`it carries the app's replies too, which is why the spoofed connection works`],
        changes: possible ? placeRule(planner, replacement, rule, [], true) : [],
        fixText: possible
          ? `Replace it in place with a rule for the app's replies only: add the scoped rule at the same priority, then delete the old one by all its selectors. ${scopeNote(input)}`
          : `Bind the app to 127.0.0.1 (or ::1), point -${input.target.family} there and delete this rule.`,
      };
    }
  }
  const partial = matchRule(rule, input.flow).selectors.filter((selector) => selector.dependsOnClient);
  const earlier = walk.steps.filter(
    (step) =>
      step.outcome === 'no-match' &&
      step.match.failing.length > 0 &&
      step.match.failing.every((selector) => selector.dependsOnClient),
  );
  if (partial.length || earlier.length) {
    return {
      status: 'warn',
      summary: `replies from ${input.target.address} come back over lo only for some clients`,
      evidence: [
        ...partial.map(
          (selector) =>
            `${planner.quote(rule)} matches only replies whose ${selector.text}: others are routed elsewhere`,
        ),
        ...earlier.map(
          (step) =>
            `for clients with ${step.match.failing.map((selector) => selector.text).join(' and ')}, ${planner.quote(step.rule)} comes first`,
        ),
      ],
      changes: [],
      fixText:
        'Drop the `to`/`dport` selectors from the loopback rule, or make sure no other clients reach this proxy.',
    };
  }
  return null;
}

export function planLoopback(input: LoopbackInput): LoopbackPlan {
  const model: PolicyModel = { rules: input.rules, routes: input.routes };
  const walk = walkRules({ ...model, groups: input.groups }, input.flow);
  const planner: Planner = { input, model, walk, quote: (rule) => quoteRule(rule, model.rules, model.routes) };
  const story = tellWalk(walk, model.rules, model.routes);
  const modelDelivers = deliversLocally(walk.decision);
  const { address } = input.target;

  if (input.kernelDelivers) {
    const disagreement = modelDelivers
      ? []
      : ["the doctor's reading of the rules does not explain this: a selector it cannot see may be at work"];
    const finding = workingFinding(planner);
    if (!finding) {
      return {
        status: 'ok',
        summary: `replies from ${address} to spoofed clients are routed back over lo`,
        evidence: [...story.slice(-1), ...disagreement],
        changes: [],
      };
    }
    return { ...finding, evidence: [...story.slice(-1), ...finding.evidence, ...disagreement] };
  }
  if (modelDelivers) {
    return {
      status: 'fail',
      summary: `the kernel does not deliver replies from ${address} locally, although the rules as read say it should`,
      evidence: [
        ...story,
        'a selector this doctor cannot see (a newer kernel or iproute2 feature) may be at work; see `ip rule show`',
      ],
      changes: [],
      fixText: 'Compare `ip rule show` with the kernel answer above; the doctor proposes no change it cannot explain.',
    };
  }
  const finding = brokenFinding(planner);
  const after = finding.changes.length ? simulate(planner, finding.changes) : null;
  const proof = after
    ? deliversLocally(after.walk.decision)
      ? [`with the fix: ${tellWalk(after.walk, after.model.rules, after.model.routes).slice(-1).join('')}`]
      : ["the doctor's model does not show this fix working; check the rules above by hand"]
    : [];
  return { ...finding, evidence: [...story, ...finding.evidence, ...proof] };
}
