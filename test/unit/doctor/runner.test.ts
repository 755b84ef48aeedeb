/** The runner: concurrency, registry order, a throwing or hanging check becomes `crash`, exit codes. */
import assert from 'node:assert/strict';

import { createContext } from '../../../src/doctor/context/context.js';
import { replaySystem } from '../../../src/doctor/context/replay-system.js';
import { exitCodeFor, runChecks } from '../../../src/doctor/runner.js';
import type { Check, CheckResult } from '../../../src/doctor/types.js';
import { setupFromArgs } from './replay.js';

const context = () =>
  createContext(setupFromArgs({}), { capture: false, haproxyLog: null, probeTimeoutMs: 500 }, replaySystem({}));

function check(id: string, run: () => Promise<CheckResult>): Check {
  return { id, title: id, groups: ['target'], run };
}

describe('doctor runner', function () {
  it('runs checks concurrently and reports them in registry order', async function () {
    const started: string[] = [];
    let releaseFirst!: () => void;
    const first = new Promise<void>((resolve) => (releaseFirst = resolve));
    const reports = await runChecks(
      [
        check('slow', async () => {
          started.push('slow');
          await first;
          return { status: 'ok', summary: 'slow', evidence: [] };
        }),
        check('fast', async () => {
          started.push('fast');
          releaseFirst();
          return { status: 'warn', summary: 'fast', evidence: [] };
        }),
      ],
      context(),
    );
    assert.deepEqual(started, ['slow', 'fast']);
    assert.deepEqual(
      reports.map((report) => report.id),
      ['slow', 'fast'],
    );
  });

  it('turns an exception into a crash report and keeps the others', async function () {
    const reports = await runChecks(
      [
        check('boom', async () => {
          throw new Error('ip -j -4 rule show failed: permission denied');
        }),
        check('fine', async () => ({ status: 'ok', summary: 'fine', evidence: [] })),
      ],
      context(),
    );
    assert.equal(reports[0]?.status, 'crash');
    assert.equal(reports[0]?.summary, 'ip -j -4 rule show failed: permission denied');
    assert.equal(reports[1]?.status, 'ok');
    assert.equal(exitCodeFor(reports), 1);
  });

  it('turns a check that never settles into a crash report after its timeout', async function () {
    const reports = await runChecks([check('hang', () => new Promise<CheckResult>(() => undefined))], context(), 20);
    assert.equal(reports[0]?.status, 'crash');
    assert.equal(reports[0]?.summary, 'did not finish within 20 ms');
  });

  it('exits 0 with warnings and skips, 1 with a failure', function () {
    const report = (status: CheckResult['status']) => ({
      id: status,
      title: status,
      status,
      summary: '',
      evidence: [],
      elapsedMs: 0,
    });
    assert.equal(exitCodeFor([report('ok'), report('warn'), report('skip')]), 0);
    assert.equal(exitCodeFor([report('ok'), report('fail')]), 1);
  });
});
