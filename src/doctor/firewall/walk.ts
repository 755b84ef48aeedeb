/**
 * Walks one packet through the hooks it crosses, as the kernel does: at each
 * hook every base chain of every table that sees the packet's family, in
 * priority order (iptables' tables at their fixed priorities, conntrack at
 * -200), each chain's rules in order with jumps, gotos and returns; an
 * accept ends one base chain, a drop ends the packet; the policy decides a
 * base chain that ran to its end. NAT chains see only a connection's first
 * packet. A route chain in OUTPUT that changes the mark makes the kernel
 * route the packet again, which mark-based routing depends on.
 *
 * A drop does not end the walk: the doctor notes it and carries on as if it
 * had been accepted there (as the fix it prints would), so every rule that
 * stands in the way is found in one run.
 */
import { evaluateConditions, evaluateMark, vmapEntryMatches, type Connection, type Packet } from './evaluate.js';
import {
  CONNTRACK_PRIORITY,
  type Chain,
  type Hook,
  type Rule,
  type Ruleset,
  type Statement,
  type Tri,
} from './model.js';

/** One stretch of a packet's way through this host, between two routing decisions or interfaces. */
export interface Leg {
  /** "the spoofed SYN on its way in (lo)", for the evidence. */
  name: string;
  packet: Packet;
  hooks: Hook[];
  /** The connection conntrack attaches at its hook (the packet carries it from the start when looped back). */
  connection: Connection;
  connectionAttached: boolean;
  /** NAT chains only see a connection's first packet, before its translation is set up. */
  natConsulted: boolean;
}

export interface Drop {
  leg: Leg;
  hook: Hook;
  chain: Chain;
  /** The rule that dropped it; null when the chain's policy did. */
  rule: Rule | null;
  verdict: 'drop' | 'reject';
  /** The base chain the drop happened under (the rule's chain may be one it jumped to). */
  baseChain: Chain;
}

/** A rule on the path whose conditions the doctor could not evaluate, with what it would do. */
export interface Uncertain {
  leg: Leg;
  hook: Hook;
  rule: Rule;
  effect: string;
}

/** A rule that changed the packet's mark or its connection's mark, where it ran. */
export interface MarkChange {
  hook: Hook;
  /** The base chain it ran under (its type says whether OUTPUT routes again). */
  baseChain: Chain;
  rule: Rule;
  target: 'meta' | 'ct';
  before: number;
  after: number;
}

export interface RouteMarkChange {
  chain: Chain;
  before: number;
  after: number;
}

export interface LegResult {
  leg: Leg;
  drops: Drop[];
  uncertain: Uncertain[];
  /** The packet at the end of the leg: its mark and its connection's mark as the rules left them. */
  packet: Packet;
  /** The mark the kernel routes the packet with after OUTPUT's route chains (re-route), or null when unchanged. */
  rerouteMark: number | null;
  routeMarkChanges: RouteMarkChange[];
  /** Every change of the packet's or the connection's mark, in order. */
  markChanges: MarkChange[];
  nat: Rule[];
  /** Base chains the packet went through, with the verdict of each (evidence). */
  visited: { hook: Hook; chain: Chain; outcome: string }[];
}

/** The counters' say on a rule the doctor could not evaluate: true (it counted the probe), false, or null. */
export type CounterWitness = (rule: Rule) => Tri | null;

const familyOf = (chain: Chain): 4 | 6 | 'both' | null =>
  chain.family === 'ip' ? 4 : chain.family === 'ip6' ? 6 : chain.family === 'inet' ? 'both' : null;

/** Base chains at a hook for a family, in the order the kernel runs them. */
export function chainsAt(ruleset: Ruleset, hook: Hook, family: 4 | 6): Chain[] {
  return ruleset.chains
    .filter((chain) => chain.base?.hook === hook && [family, 'both'].includes(familyOf(chain) ?? 'none'))
    .sort((a, b) => a.base!.priority - b.base!.priority);
}

const MAX_DEPTH = 32;
const MAX_STEPS = 100_000;

type Outcome = 'accept' | 'drop' | 'reject' | 'return' | 'queue';

interface WalkState {
  ruleset: Ruleset;
  leg: Leg;
  hook: Hook;
  base: Chain;
  packet: Packet;
  witness: CounterWitness;
  result: LegResult;
  steps: number;
}

function effectOf(statements: Statement[]): string {
  for (const statement of statements) {
    if (statement.kind === 'verdict') return statement.verdict;
    if (statement.kind === 'jump' || statement.kind === 'goto') return `${statement.kind} ${statement.chain}`;
    if (statement.kind === 'vmap') return 'verdict map';
    if (statement.kind === 'set-mark') return `sets the ${statement.target} mark`;
    if (statement.kind === 'unknown') return statement.text;
  }
  return 'nothing';
}

const isDropping = (statements: Statement[]) =>
  statements.some((s) => s.kind === 'verdict' && (s.verdict === 'drop' || s.verdict === 'reject'));

function findChain(state: WalkState, from: Chain, name: string): Chain | undefined {
  return state.ruleset.chains.find(
    (chain) =>
      chain.backend === from.backend &&
      chain.family === from.family &&
      chain.table === from.table &&
      chain.name === name,
  );
}

/** Runs statements of a matching rule; null means "go on with the next rule". */
function runStatements(
  state: WalkState,
  chain: Chain,
  rule: Rule,
  statements: Statement[],
  depth: number,
): Outcome | null {
  for (const statement of statements) {
    switch (statement.kind) {
      case 'verdict':
        if (statement.verdict === 'continue') return null;
        if (statement.verdict === 'drop' || statement.verdict === 'reject') {
          state.result.drops.push({
            leg: state.leg,
            hook: state.hook,
            chain,
            rule,
            verdict: statement.verdict,
            baseChain: state.base,
          });
        }
        return statement.verdict;
      case 'jump':
      case 'goto': {
        const target = findChain(state, chain, statement.chain);
        if (!target) break;
        const outcome = runChain(state, target, depth + 1);
        if (statement.kind === 'goto') return outcome;
        if (outcome !== 'return') return outcome;
        break;
      }
      case 'vmap': {
        if (statement.protocols && !statement.protocols.includes(state.packet.protocol)) break;
        let known = true;
        const entry = statement.entries.find((candidate) =>
          candidate.values.some((value) => {
            const matches = vmapEntryMatches(statement.key, value, state.packet);
            if (matches === null) known = false;
            return matches === true;
          }),
        );
        if (!known && !entry) {
          state.result.uncertain.push({
            leg: state.leg,
            hook: state.hook,
            rule,
            effect: 'verdict map on an unknown value',
          });
          break;
        }
        if (entry) {
          const outcome = runStatements(state, chain, rule, [entry.verdict], depth);
          if (outcome !== null) return outcome;
        }
        break;
      }
      case 'set-mark': {
        const value = evaluateMark(statement.value, state.packet);
        const before = statement.target === 'meta' ? state.packet.mark : state.packet.ct?.mark;
        if (statement.target === 'meta') state.packet.mark = value;
        else if (state.packet.ct) state.packet.ct = { ...state.packet.ct, mark: value };
        // Without a connection yet (raw, before conntrack) a CONNMARK save changes nothing.
        if (before !== undefined && before !== value)
          state.result.markChanges.push({
            hook: state.hook,
            baseChain: state.base,
            rule,
            target: statement.target,
            before,
            after: value,
          });
        break;
      }
      case 'notrack':
        if (!state.packet.ct) state.packet.untracked = true;
        break;
      case 'nat':
        state.result.nat.push(rule);
        break;
      case 'unknown':
        state.result.uncertain.push({ leg: state.leg, hook: state.hook, rule, effect: statement.text });
        break;
    }
  }
  return null;
}

function runChain(state: WalkState, chain: Chain, depth: number): Outcome {
  if (depth > MAX_DEPTH) return 'return';
  for (const rule of chain.rules) {
    if (++state.steps > MAX_STEPS) return 'return';
    let match = evaluateConditions(rule.conditions, state.packet);
    if (match === 'unknown') {
      const witnessed = state.witness(rule);
      // Counters settle "no" for any rule; "yes" only for a rule that would drop (a candidate cause).
      if (witnessed === false || (witnessed === true && isDropping(rule.statements))) match = witnessed;
    }
    if (match === false) continue;
    if (match === 'unknown') {
      state.result.uncertain.push({ leg: state.leg, hook: state.hook, rule, effect: effectOf(rule.statements) });
      continue;
    }
    const outcome = runStatements(state, chain, rule, rule.statements, depth);
    if (outcome !== null) return outcome;
  }
  return 'return';
}

function attachConnection(state: WalkState): void {
  if (!state.packet.ct && !state.packet.untracked) state.packet.ct = { ...state.leg.connection };
}

/** Walks one leg; `witness` lets counters decide rules the doctor cannot evaluate. */
export function walkLeg(ruleset: Ruleset, leg: Leg, witness: CounterWitness = () => null): LegResult {
  const packet: Packet = { ...leg.packet, ct: leg.connectionAttached ? { ...leg.connection } : null };
  const result: LegResult = {
    leg,
    drops: [],
    uncertain: [],
    packet,
    rerouteMark: null,
    routeMarkChanges: [],
    markChanges: [],
    nat: [],
    visited: [],
  };
  const state: WalkState = {
    ruleset,
    leg,
    hook: leg.hooks[0] ?? 'output',
    base: ruleset.chains[0]!,
    packet,
    witness,
    result,
    steps: 0,
  };
  const routedWith = packet.mark;
  for (const hook of leg.hooks) {
    state.hook = hook;
    const tracksHere = hook === 'prerouting' || hook === 'output';
    for (const chain of chainsAt(ruleset, hook, packet.family)) {
      const base = chain.base!;
      if (tracksHere && base.priority > CONNTRACK_PRIORITY) attachConnection(state);
      if (base.type === 'nat' && !leg.natConsulted) continue;
      state.base = chain;
      const markBefore = packet.mark;
      let outcome = runChain(state, chain, 0);
      if (outcome === 'return') {
        outcome = base.policy;
        if (base.policy === 'drop')
          result.drops.push({ leg, hook, chain, rule: null, verdict: 'drop', baseChain: chain });
      }
      result.visited.push({ hook, chain, outcome });
      if (base.type === 'route' && hook === 'output' && packet.mark !== markBefore)
        result.routeMarkChanges.push({ chain, before: markBefore, after: packet.mark });
    }
    if (tracksHere) attachConnection(state);
  }
  const last = result.routeMarkChanges.at(-1);
  if (last && last.after !== routedWith) result.rerouteMark = last.after;
  return result;
}
