/**
 * `--fix`: collects the routing commands the failing checks offer (only
 * `ip rule`/`ip route` additions; netfilter rules, sysctls and config files
 * are never touched), asks before running them unless --yes, and runs them
 * in order, stopping at the first that fails.
 */
import type { SystemAccess } from './context/system-access.js';
import type { CheckReport } from './types.js';

export function routingFixes(reports: CheckReport[]): string[][] {
  const seen = new Set<string>();
  const commands: string[][] = [];
  for (const report of reports) {
    if (report.status !== 'fail') continue;
    for (const argv of report.remediation?.apply ?? []) {
      const key = argv.join(' ');
      if (argv[0] !== 'ip' || seen.has(key)) continue;
      seen.add(key);
      commands.push(argv);
    }
  }
  return commands;
}

/** What --fix offered and did, for the JSON report. */
export interface FixOutcome {
  commands: string[];
  applied: AppliedFix[];
  /** Why nothing was run, or null. */
  notApplied: string | null;
}

export interface AppliedFix {
  command: string;
  ok: boolean;
  error?: string;
}

export async function applyFixes(system: SystemAccess, commands: string[][]): Promise<AppliedFix[]> {
  const applied: AppliedFix[] = [];
  for (const argv of commands) {
    const result = await system.exec(argv[0] as string, argv.slice(1));
    const command = argv.join(' ');
    if (result.code !== 0) {
      applied.push({ command, ok: false, error: result.stderr.trim() });
      break;
    }
    applied.push({ command, ok: true });
  }
  return applied;
}
