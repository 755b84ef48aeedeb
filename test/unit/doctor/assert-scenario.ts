/** Asserts a doctor JSON report against a scenario's expectations. */
import assert from 'node:assert/strict';

import type { ScenarioExpectation } from './scenario-expectations.js';

interface ReportLike {
  checks: { id: string; status: string; summary: string; remediation: { commands: string[] } | null }[];
}

export function assertFindings(report: ReportLike, scenario: ScenarioExpectation): void {
  for (const [id, expected] of Object.entries(scenario.checks)) {
    const check = report.checks.find((entry) => entry.id === id);
    assert.ok(check, `no result for ${id}`);
    assert.equal(check.status, expected.status, `${id}: ${check.summary}`);
    if (typeof expected.summary === 'string') assert.equal(check.summary, expected.summary, id);
    else assert.match(check.summary, expected.summary, id);
    if (expected.commands) assert.deepEqual(check.remediation?.commands, expected.commands, id);
  }
}

/** Checks the scenario does not expect to fail must not fail (no false alarms). */
export function unexpectedFailures(report: ReportLike, scenario: ScenarioExpectation): string[] {
  return report.checks
    .filter(
      (check) =>
        (check.status === 'fail' || check.status === 'crash') && scenario.checks[check.id]?.status !== check.status,
    )
    .map((check) => `${check.id}: ${check.summary}`);
}

export function expectsFailure(scenario: ScenarioExpectation): boolean {
  return Object.values(scenario.checks).some((expected) => expected.status === 'fail');
}
