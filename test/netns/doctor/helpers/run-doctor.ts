/** Runs the real `mmproxy doctor` CLI inside a namespace. */
import { fileURLToPath } from 'node:url';

import type { ExecResult, Host } from '../../../../lab/index.js';

/** bin/mmproxy.js of this checkout (this file is dist/test/netns/doctor/helpers/run-doctor.js). */
export const MMPROXY_BIN = fileURLToPath(new URL('../../../../../bin/mmproxy.js', import.meta.url));
export const REPO_ROOT = fileURLToPath(new URL('../../../../../', import.meta.url));

// The doctor itself takes ~1 s; the bound only catches a hang.
const DOCTOR_TIMEOUT_MS = 20_000;

export function runDoctor(srv: Host, args: string[], wrap: string[] = []): Promise<ExecResult> {
  return srv.exec([...wrap, process.execPath, MMPROXY_BIN, 'doctor', '--color=false', ...args], {
    timeoutMs: DOCTOR_TIMEOUT_MS,
  });
}

export interface JsonCheck {
  id: string;
  status: string;
  summary: string;
  evidence: string[];
  remediation: { commands: string[]; text: string; appliedByFix: boolean } | null;
}

export async function runDoctorJson(
  srv: Host,
  args: string[],
  wrap: string[] = [],
): Promise<{ code: number; checks: Map<string, JsonCheck>; rootCause: { id: string } | null }> {
  const result = await runDoctor(srv, ['--json', ...args], wrap);
  let document: { checks: JsonCheck[]; rootCause: { id: string } | null };
  try {
    document = JSON.parse(result.stdout) as typeof document;
  } catch {
    throw new Error(`doctor printed no JSON (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
  }
  return {
    code: result.code,
    checks: new Map(document.checks.map((check) => [check.id, check])),
    rootCause: document.rootCause,
  };
}

/** `mmproxy setup-routing` with the proxy's flags, inside the namespace, as ExecStartPre runs it. */
export function runSetupRouting(srv: Host, flags: string[]): Promise<ExecResult> {
  return srv.exec([process.execPath, MMPROXY_BIN, 'setup-routing', ...flags], { timeoutMs: DOCTOR_TIMEOUT_MS });
}
