/**
 * `mmproxy setup-routing`: puts in place the policy routing that brings the
 * app's replies to spoofed clients back to the proxy, for the setup the same
 * flags describe, and nothing else. It is the doctor's routing checks and
 * their --fix commands, run without asking: whatever the checks find in place
 * is left alone, so a second run adds nothing (ExecStartPre runs it at every
 * start). Exit 0 when the routing works afterwards, 1 when it does not (with
 * what is still missing: the netfilter part of -mark routing is shown, never
 * applied), 2 for a usage mistake.
 */
import { UsageError } from '../cli/usage-error.js';
import { createContext, type RunOptions } from '../doctor/context/context.js';
import { realSystem } from '../doctor/context/real-system.js';
import type { SystemAccess } from '../doctor/context/system-access.js';
import { applyFixes, routingFixes } from '../doctor/fix.js';
import { selectChecks } from '../doctor/registry.js';
import { runChecks } from '../doctor/runner.js';
import type { CheckReport } from '../doctor/types.js';
import { type SetupRoutingFlags, setupFromFlags } from './setup-from-flags.js';

export interface SetupRoutingArgs extends SetupRoutingFlags {
  table?: string;
  dryRun?: boolean;
}

// The routing checks read `ip -j` and ask the kernel (ip route get); they never connect anywhere.
const ROUTING_CHECKS = ['loopback-routing-v4', 'loopback-routing-v6', 'mark-routing'];
const UNUSED_PROBE_TIMEOUT_MS = 500;
const TABLE = /^[1-9]\d{0,9}$/;
// 253..255 are default/main/local.
const RESERVED_TABLES = new Set(['253', '254', '255']);

const failed = (reports: CheckReport[]) => reports.filter((report) => report.status === 'fail' || report.status === 'crash');

function describeFailure(report: CheckReport): string {
  const commands = report.remediation?.commands ?? [];
  const fix = commands.length ? `\n  still to do by hand:\n${commands.map((command) => `    ${command}`).join('\n')}` : '';
  return `${report.title}: ${report.summary}${fix}`;
}

export async function runSetupRouting(
  args: SetupRoutingArgs,
  out: (line: string) => void,
  system: SystemAccess = realSystem(),
): Promise<number> {
  if (args.table !== undefined && (!TABLE.test(args.table) || RESERVED_TABLES.has(args.table) || Number(args.table) > 0xffffffff)) {
    throw new UsageError(
      `--table ${JSON.stringify(args.table)}: expected a routing table number from 1 to 4294967295, not 253..255 (default, main, local)`,
    );
  }
  const setup = setupFromFlags(args);
  const options: RunOptions = {
    capture: false,
    haproxyLog: null,
    probeTimeoutMs: UNUSED_PROBE_TIMEOUT_MS,
    ...(args.table !== undefined ? { table: args.table } : {}),
  };
  const check = () => runChecks(selectChecks(ROUTING_CHECKS), createContext(setup, options, system));

  const before = await check();
  const crashed = before.filter((report) => report.status === 'crash');
  if (crashed.length) {
    for (const report of crashed) out(`mmproxy setup-routing: ${report.title}: ${report.summary}`);
    return 1;
  }
  const commands = routingFixes(before);
  if (commands.length === 0 && failed(before).length === 0) {
    for (const report of before) if (report.status === 'ok') out(`mmproxy setup-routing: already in place: ${report.summary}`);
    return 0;
  }
  if (args.dryRun) {
    for (const argv of commands) out(`would run: ${argv.join(' ')}`);
    for (const report of failed(before)) if (!report.remediation?.apply) out(describeFailure(report));
    return 0;
  }
  for (const step of await applyFixes(system, commands)) {
    out(step.ok ? `mmproxy setup-routing: ran: ${step.command}` : `mmproxy setup-routing: FAILED: ${step.command}: ${step.error}`);
  }
  const after = await check();
  for (const report of failed(after)) out(`mmproxy setup-routing: ${describeFailure(report)}`);
  if (failed(after).length) return 1;
  for (const report of after) if (report.status === 'ok') out(`mmproxy setup-routing: ok: ${report.summary}`);
  return 0;
}
