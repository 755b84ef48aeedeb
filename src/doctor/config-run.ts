/**
 * The doctor for a config file's many listeners: each check runs once for
 * every distinct part of the setups it reads (`Check.reads`), so fifty
 * listeners with one mark share one run of the mark check, while the probes
 * still try every target. Routing, firewall and probe rounds are read once for
 * the run (../context/context.ts, SharedReads). Each report names the
 * listeners it is about; reports of one check that say the same thing for
 * different listeners are merged into one.
 */
import { createContext, sharedReads, type RunOptions } from './context/context.js';
import type { SystemAccess } from './context/system-access.js';
import {
  expectedConnectionsFor,
  setupFromListener,
  type ListenerSetup,
  type ProxySetup,
} from './options/proxy-setup.js';
import { runChecks } from './runner.js';
import type { Check, CheckReport } from './types.js';
import type { ProxyConfig } from '../config/proxy-config.js';

/** Every listener's setup; the fd check is sized for the whole process (`expectedConnections` overrides it). */
export function setupsFromConfig(config: ProxyConfig, expectedConnections?: number): ListenerSetup[] {
  const total =
    expectedConnections ??
    config.listeners.reduce((sum, listener) => sum + expectedConnectionsFor(listener.maxConnections), 0);
  return config.listeners.map((listener) => ({ listener: listener.name, setup: setupFromListener(listener, total) }));
}

interface Group {
  setup: ProxySetup;
  listeners: string[];
}

/** The listeners grouped by what `check` reads of their setups, in the config's order. */
export function groupsFor(check: Check, setups: readonly ListenerSetup[]): Group[] {
  const groups = new Map<string, Group>();
  for (const { listener, setup } of setups) {
    const key = JSON.stringify(check.reads ? (check.reads(setup) ?? null) : setup);
    const group = groups.get(key);
    if (group) group.listeners.push(listener);
    else groups.set(key, { setup, listeners: [listener] });
  }
  return [...groups.values()];
}

/** What a report says, without its timing: two reports that say the same are one finding. */
function findingKey({ status, summary, evidence, remediation, symptom, predicts }: CheckReport): string {
  return JSON.stringify({ status, summary, evidence, remediation, symptom, predicts });
}

function mergeSame(reports: CheckReport[]): CheckReport[] {
  const merged = new Map<string, CheckReport>();
  for (const report of reports) {
    const key = findingKey(report);
    const earlier = merged.get(key);
    if (earlier) earlier.listeners = [...(earlier.listeners ?? []), ...(report.listeners ?? [])];
    else merged.set(key, { ...report });
  }
  return [...merged.values()];
}

/**
 * Runs each check once per group, one run at a time: the probes share libuv's
 * four threads, and rounds run side by side would eat each other's check
 * timeouts. Reports come in registry order, then the config's order.
 */
export async function runChecksForListeners(
  checks: readonly Check[],
  setups: readonly ListenerSetup[],
  options: RunOptions,
  system: SystemAccess,
): Promise<CheckReport[]> {
  const shared = sharedReads(system);
  const reports: CheckReport[] = [];
  for (const check of checks) {
    const ofCheck: CheckReport[] = [];
    for (const group of groupsFor(check, setups)) {
      const [report] = await runChecks([check], createContext(group.setup, options, system, shared));
      if (report) ofCheck.push({ ...report, listeners: group.listeners });
    }
    reports.push(...mergeSame(ofCheck));
  }
  return reports;
}
