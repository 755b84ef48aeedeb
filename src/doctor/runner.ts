/**
 * Runs checks concurrently, each under its own timeout, and returns their
 * reports in registry order. A check that throws or hangs becomes a `crash`
 * report; it never takes the run down.
 */
import type { DoctorContext } from './context/context.js';
import type { Check, CheckReport, CheckResult } from './types.js';

// The slowest check (the capture probe) needs ~1.7 s; anything past this is stuck.
export const CHECK_TIMEOUT_MS = 5000;

function crash(summary: string): CheckResult {
  return {
    status: 'crash',
    summary,
    evidence: [],
    remediation: { commands: [], text: 'This is a bug in mmproxy doctor; please report it with this output.' },
  };
}

async function runOne(check: Check, ctx: DoctorContext, timeoutMs: number): Promise<CheckReport> {
  const started = ctx.system.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<CheckResult>((resolve) => {
    timer = setTimeout(() => resolve(crash(`did not finish within ${timeoutMs} ms`)), timeoutMs);
  });
  const result = await Promise.race([
    check.run(ctx).catch((error: unknown) => crash(error instanceof Error ? error.message : String(error))),
    timeout,
  ]);
  clearTimeout(timer);
  return { id: check.id, title: check.title, ...result, elapsedMs: ctx.system.now() - started };
}

export function runChecks(
  checks: readonly Check[],
  ctx: DoctorContext,
  timeoutMs = CHECK_TIMEOUT_MS,
): Promise<CheckReport[]> {
  return Promise.all(checks.map((check) => runOne(check, ctx, timeoutMs)));
}

/** 1 when any check failed or crashed, else 0. */
export function exitCodeFor(reports: CheckReport[]): number {
  return reports.some((report) => report.status === 'fail' || report.status === 'crash') ? 1 : 0;
}
