/**
 * Probes are the ground truth; static checks explain them. After every check
 * has run, each failing finding that says which spoofed probes must fail
 * (`predicts`) is held against what those probes did (`observed`): when all
 * of them passed, the finding describes a fault this host does not have (a
 * recipe the doctor does not recognise, a rule it misjudges), so it stays in
 * the report as a warning, says why, and offers nothing for --fix to apply.
 * A finding whose probes were not run (a check run alone) keeps its status.
 */
import type { Observation, ProbeKey } from './observation.js';
import type { CheckReport } from './types.js';

const keyOf = (probe: ProbeKey) => `${probe.protocol} ${probe.target}`;

function contradiction(predicted: ProbeKey[]): string {
  const what = predicted.map((probe) => `${probe.protocol === 'udp' ? 'UDP' : 'TCP'} ${probe.target}`).join(', ');
  return `yet the spoofed probe${predicted.length > 1 ? 's' : ''} to ${what} ${predicted.length > 1 ? 'were' : 'was'} answered: traffic flows, so this is a warning, not the cause of a failure`;
}

export function reconcile(reports: CheckReport[]): CheckReport[] {
  const observed = new Map<string, Observation>();
  for (const report of reports)
    for (const observation of report.observed ?? []) observed.set(keyOf(observation), observation);
  return reports.map((report) => {
    const predicted = report.predicts ?? [];
    if (report.status !== 'fail' || predicted.length === 0) return report;
    if (!predicted.every((probe) => observed.get(keyOf(probe))?.outcome === 'passed')) return report;
    const { remediation, ...rest } = report;
    return {
      ...rest,
      status: 'warn',
      summary: `${report.summary}; ${contradiction(predicted)}`,
      ...(remediation ? { remediation: { commands: remediation.commands, text: remediation.text } } : {}),
    };
  });
}
