/**
 * `mmproxy setup-routing`: puts in place the policy routing that brings the
 * app's replies to spoofed clients back to the proxy, for the setup the same
 * flags (or every listener of a config file, --config) describe, and nothing else. It is the doctor's routing checks and
 * their --fix commands, run without asking: whatever the checks find in place
 * is left alone, so a second run adds nothing (ExecStartPre runs it at every
 * start). Exit 0 when the routing works afterwards, 1 when it does not (with
 * what is still missing: the netfilter part of -mark routing is shown, never
 * applied), 2 for a usage mistake.
 */
import { UsageError } from '../base/errors.js';
import { createContext, type RunOptions } from '../doctor/context/context.js';
import { realSystem } from '../doctor/context/real-system.js';
import type { SystemAccess } from '../doctor/context/system-access.js';
import { applyFixes, routingFixes } from '../doctor/fix.js';
import { selectChecks } from '../doctor/registry.js';
import { runChecks } from '../doctor/runner.js';
import type { Check, CheckReport } from '../doctor/types.js';
import { CHECK_INVALID, readConfigForUse } from '../config/check-config.js';
import { flagLabel, givenProxyFlags } from '../config/proxy-flags.js';
import { runChecksForListeners, setupsFromConfig } from '../doctor/config-run.js';
import { type SetupRoutingFlags, setupFromFlags } from './setup-from-flags.js';

export interface SetupRoutingArgs extends SetupRoutingFlags {
  table?: string;
  dryRun?: boolean;
  config?: string;
}

type RunRouting = (checks: readonly Check[], options: RunOptions, system: SystemAccess) => Promise<CheckReport[]>;

/**
 * The routing checks' run for the flags, or for every listener of a config
 * file: each rule/route a check offers once per distinct target, applied once
 * (ip rules are per family and mark, loopback rules per target address and ports).
 */
async function routingRun(args: SetupRoutingArgs, err: (line: string) => void): Promise<RunRouting | null> {
  if (args.config === undefined) {
    const setup = setupFromFlags(args);
    return (checks, options, system) => runChecks(checks, createContext(setup, options, system));
  }
  const given = givenProxyFlags(args);
  if (given.length) {
    throw new UsageError(
      `--config reads every listener from the file: drop ${given.map(flagLabel).join(' ')}, or drop --config`,
    );
  }
  const config = await readConfigForUse(args.config, err);
  if (!config) return null;
  const setups = setupsFromConfig(config);
  return (checks, options, system) => runChecksForListeners(checks, setups, options, system);
}

/** " (listeners a, b)" after a finding of --config. */
const forListeners = (report: CheckReport) =>
  report.listeners ? ` (listener${report.listeners.length > 1 ? 's' : ''} ${report.listeners.join(', ')})` : '';

// The routing checks read `ip -j` and ask the kernel (ip route get); they never connect anywhere.
const ROUTING_CHECKS = ['loopback-routing-v4', 'loopback-routing-v6', 'mark-routing'];
const UNUSED_PROBE_TIMEOUT_MS = 500;
const TABLE = /^[1-9]\d{0,9}$/;
const MAX_TABLE = 0xffffffff;
// 253..255 are default/main/local.
const RESERVED_TABLES = new Set(['253', '254', '255']);

const failed = (reports: CheckReport[]) =>
  reports.filter((report) => report.status === 'fail' || report.status === 'crash');

/** The summary, and the commands of its fix that this command does not run itself (netfilter, sysctl). */
function describeFailure(report: CheckReport, handled: ReadonlySet<string>): string {
  const commands = (report.remediation?.commands ?? []).filter((command) => !handled.has(command));
  const fix = commands.length
    ? `\n  still to do by hand:\n${commands.map((command) => `    ${command}`).join('\n')}`
    : '';
  return `${report.title}${forListeners(report)}: ${report.summary}${fix}`;
}

function validTable(table: string): boolean {
  return TABLE.test(table) && !RESERVED_TABLES.has(table) && Number(table) <= MAX_TABLE;
}

export async function runSetupRouting(
  args: SetupRoutingArgs,
  write: (line: string) => void,
  system: SystemAccess = realSystem(),
): Promise<number> {
  if (args.table !== undefined && !validTable(args.table)) {
    throw new UsageError(
      `--table ${JSON.stringify(args.table)}: expected a routing table number from 1 to ${MAX_TABLE}, not 253..255 (default, main, local)`,
    );
  }
  const out = (line: string) => write(`mmproxy setup-routing: ${line}`);
  const run = await routingRun(args, (line) => write(line));
  if (!run) return CHECK_INVALID;
  const options: RunOptions = {
    capture: false,
    haproxyLog: null,
    probeTimeoutMs: UNUSED_PROBE_TIMEOUT_MS,
    ...(args.table !== undefined ? { table: args.table } : {}),
  };
  const check = () => run(selectChecks(ROUTING_CHECKS), options, system);
  const report = (reports: CheckReport[], okPrefix: string, handled: ReadonlySet<string>) => {
    for (const found of reports) {
      if (found.status === 'ok') out(`${okPrefix}${found.summary}${forListeners(found)}`);
      if (found.status === 'warn') out(`warning: ${found.title}${forListeners(found)}: ${found.summary}`);
      if (found.status === 'fail' || found.status === 'crash') out(describeFailure(found, handled));
    }
  };

  const before = await check();
  if (before.some((found) => found.status === 'crash')) {
    report(
      before.filter((found) => found.status === 'crash'),
      '',
      new Set(),
    );
    return 1;
  }
  const commands = routingFixes(before);
  const handled = new Set(commands.map((argv) => argv.join(' ')));
  if (commands.length === 0 && failed(before).length === 0) {
    report(before, 'already in place: ', handled);
    return 0;
  }
  if (args.dryRun) {
    for (const command of handled) out(`would run: ${command}`);
    report(failed(before), '', handled);
    return 0;
  }
  for (const step of await applyFixes(system, commands)) {
    out(step.ok ? `ran: ${step.command}` : `FAILED: ${step.command}: ${step.error}`);
  }
  const after = await check();
  report(after, 'ok: ', handled);
  return failed(after).length ? 1 : 0;
}
