/**
 * Every check on fixtures recorded in real namespaces (see
 * test/netns/doctor/record-fixtures.ts): the exact finding and fix for each
 * broken setup, and no failure where nothing is wrong.
 */
import assert from 'node:assert/strict';

import { SCENARIOS } from './scenario-expectations.js';
import { replayJson } from './replay.js';

describe('doctor checks on recorded namespace fixtures', function () {
  for (const [name, scenario] of Object.entries(SCENARIOS)) {
    describe(name, function () {
      it('reports exactly the expected findings and fixes', async function () {
        const report = await replayJson(name, scenario.args);
        for (const [id, expected] of Object.entries(scenario.checks)) {
          const check = report.checks.find((entry) => entry.id === id);
          assert.ok(check, `no result for ${id}`);
          assert.equal(check.status, expected.status, `${id}: ${check.summary}`);
          if (typeof expected.summary === 'string') assert.equal(check.summary, expected.summary, id);
          else assert.match(check.summary, expected.summary, id);
          if (expected.commands) assert.deepEqual(check.remediation?.commands, expected.commands, id);
        }
      });

      it('fails nothing that is not expected to fail', async function () {
        const report = await replayJson(name, scenario.args);
        const unexpected = report.checks.filter((check) => (check.status === 'fail' || check.status === 'crash') && scenario.checks[check.id]?.status !== check.status);
        assert.deepEqual(unexpected.map((check) => `${check.id}: ${check.summary}`), []);
        const failing = Object.values(scenario.checks).some((expected) => expected.status === 'fail');
        assert.equal(report.exitCode, failing ? 1 : 0);
      });
    });
  }
});
