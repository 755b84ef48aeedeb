/**
 * Every check on fixtures recorded in real namespaces (see
 * test/netns/doctor/helpers/record-fixtures.ts): the exact finding and fix for each
 * broken setup, and no failure where nothing is wrong.
 */
import assert from 'node:assert/strict';

import { assertFindings, expectsFailure, unexpectedFailures } from './assert-scenario.js';
import { SCENARIOS } from './scenario-expectations.js';
import { replayJson } from './replay.js';

describe('doctor checks on recorded namespace fixtures', function () {
  for (const [name, scenario] of Object.entries(SCENARIOS)) {
    describe(name, function () {
      it('reports exactly the expected findings and fixes', async function () {
        assertFindings(await replayJson(name, scenario.args), scenario);
      });

      it('fails nothing that is not expected to fail, and exits accordingly', async function () {
        const report = await replayJson(name, scenario.args);
        assert.deepEqual(unexpectedFailures(report, scenario), []);
        assert.equal(report.exitCode, expectsFailure(scenario) ? 1 : 0);
      });
    });
  }
});
