/**
 * Rule counters read before and after a probe: a rule whose counter did not
 * move cannot have matched the probe's packets; one whose counter rose may
 * have (other traffic counts too). Rules are paired by where they are and
 * what they say, so a ruleset changed in between pairs nothing wrongly.
 */
import type { Chain, Rule, Ruleset, Tri } from './model.js';
import type { CounterWitness } from './walk.js';

function ruleKey(rule: Rule): string {
  const { backend, family, table, chain, handle, position } = rule.ref;
  return [backend, family, table, chain, handle ?? `#${position}`, rule.text].join('|');
}

function policyKey(chain: Chain): string {
  return [chain.backend, chain.family, chain.table, chain.name].join('|');
}

export interface CounterDeltas {
  /** Packets a rule counted during the probe; undefined when it does not count or was not there before. */
  rule(rule: Rule): number | undefined;
  /** Packets a built-in chain's policy decided during the probe (iptables only). */
  policy(chain: Chain): number | undefined;
  witness: CounterWitness;
}

export function counterDeltas(before: Ruleset, after: Ruleset): CounterDeltas {
  const earlier = new Map<string, number>();
  const earlierPolicy = new Map<string, number>();
  for (const chain of before.chains) {
    if (chain.base?.policyCounter) earlierPolicy.set(policyKey(chain), chain.base.policyCounter.packets);
    for (const rule of chain.rules) if (rule.counter) earlier.set(ruleKey(rule), rule.counter.packets);
  }
  const later = new Map<string, number>();
  const laterPolicy = new Map<string, number>();
  for (const chain of after.chains) {
    if (chain.base?.policyCounter) laterPolicy.set(policyKey(chain), chain.base.policyCounter.packets);
    for (const rule of chain.rules) if (rule.counter) later.set(ruleKey(rule), rule.counter.packets);
  }
  const delta = (from: Map<string, number>, to: Map<string, number>, key: string) => {
    const a = from.get(key);
    const b = to.get(key);
    return a === undefined || b === undefined ? undefined : b - a;
  };
  const rule = (entry: Rule) => delta(earlier, later, ruleKey(entry));
  return {
    rule,
    policy: (chain) => delta(earlierPolicy, laterPolicy, policyKey(chain)),
    witness: (entry): Tri | null => {
      const moved = rule(entry);
      return moved === undefined ? null : moved > 0;
    },
  };
}
