/** `--json`: the same content as the human report, for scripts. */
import { diagnose, joinedConclusion } from '../diagnosis.js';
import type { ProxySetup } from '../options/proxy-setup.js';
import type { CheckReport } from '../types.js';

export function renderJson(reports: CheckReport[], setup: ProxySetup, exitCode: number): string {
  const diagnosis = diagnose(reports);
  const document = {
    setup,
    rootCause: diagnosis
      ? {
          id: diagnosis.rootCause.id,
          summary: diagnosis.rootCause.summary,
          explains: diagnosis.explains.map((report) => report.id),
          conclusion: joinedConclusion(diagnosis),
        }
      : null,
    checks: reports.map(({ id, title, status, summary, evidence, remediation, elapsedMs }) => ({
      id,
      title,
      status,
      summary,
      evidence,
      remediation: remediation ? { commands: remediation.commands, text: remediation.text, appliedByFix: Boolean(remediation.apply?.length) } : null,
      elapsedMs: Math.round(elapsedMs * 10) / 10,
    })),
    exitCode,
  };
  return JSON.stringify(document, null, 2) + '\n';
}
