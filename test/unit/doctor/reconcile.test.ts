/** The report's rule: a static finding that the probes contradict is at most a warning. */
import assert from 'node:assert/strict';

import { reconcile } from '../../../src/doctor/reconcile.js';
import type { CheckReport } from '../../../src/doctor/types.js';

const report = (id: string, fields: Partial<CheckReport>): CheckReport => ({
  id,
  title: id,
  status: 'ok',
  summary: id,
  evidence: [],
  elapsedMs: 1,
  ...fields,
});

const MARK_FINDING = report('mark-routing', {
  status: 'fail',
  summary: 'no CONNMARK --save-mark for mark 123 in OUTPUT',
  remediation: { commands: ['ip rule add fwmark 123 lookup 100'], text: 'add it', apply: [['ip', 'rule']] },
  predicts: [{ protocol: 'tcp', target: '127.0.0.1:8080' }],
});

describe('doctor reconcile: probes are the ground truth', function () {
  it('turns a failure the probes contradict into a warning that says so, with nothing for --fix', function () {
    const [finding] = reconcile([
      MARK_FINDING,
      report('target', { observed: [{ protocol: 'tcp', target: '127.0.0.1:8080', outcome: 'passed' }] }),
    ]);
    assert.equal(finding?.status, 'warn');
    assert.equal(
      finding?.summary,
      'no CONNMARK --save-mark for mark 123 in OUTPUT; yet the spoofed probe to TCP 127.0.0.1:8080 was answered: traffic flows, so this is a warning, not the cause of a failure',
    );
    assert.deepEqual(finding?.remediation, { commands: ['ip rule add fwmark 123 lookup 100'], text: 'add it' });
  });

  it('keeps the failure when a predicted probe failed, or was not run', function () {
    const failed = reconcile([
      MARK_FINDING,
      report('target', { observed: [{ protocol: 'tcp', target: '127.0.0.1:8080', outcome: 'failed' }] }),
    ]);
    assert.equal(failed[0]?.status, 'fail');
    assert.equal(reconcile([MARK_FINDING])[0]?.status, 'fail');
    const partly = reconcile([
      { ...MARK_FINDING, predicts: [...MARK_FINDING.predicts!, { protocol: 'tcp', target: '[::1]:8080' }] },
      report('target', { observed: [{ protocol: 'tcp', target: '127.0.0.1:8080', outcome: 'passed' }] }),
    ]);
    assert.equal(partly[0]?.status, 'fail');
  });
});
