/** Rule listings recorded from `ip -j rule show` in a namespace (test/unit/doctor/fixtures/policy/), and flows to walk. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import type { IpRule } from '../../../../src/doctor/context/ip-types.js';
import type { Flow } from '../../../../src/doctor/routing/policy/flow.js';
import { type Family, type PolicyRule, policyRules } from '../../../../src/doctor/routing/policy/rule.js';

const DIR = fileURLToPath(new URL('../../../../../test/unit/doctor/fixtures/policy/', import.meta.url));

export function fixtureRows(name: string): IpRule[] {
  return JSON.parse(readFileSync(`${DIR}${name}.json`, 'utf8')) as IpRule[];
}

export function fixtureRules(name: string, family: Family = 4): PolicyRule[] {
  return policyRules(fixtureRows(name), family);
}

export function ruleAt(rules: PolicyRule[], priority: number): PolicyRule {
  const rule = rules.find((candidate) => candidate.priority === priority);
  if (!rule) throw new Error(`no rule at ${priority}`);
  return rule;
}

/** The reply of a TCP app on 127.0.0.1:7000 to the probe client, as the doctor builds it. */
export function replyFlow(overrides: Partial<Flow> = {}): Flow {
  return {
    family: 4,
    src: '127.0.0.1',
    dst: '192.0.2.1',
    iif: 'lo',
    oif: null,
    mark: 0,
    proto: 6,
    sport: 7000,
    dport: 40000,
    uid: 0,
    tos: 0,
    assumed: {},
    ...overrides,
  };
}
