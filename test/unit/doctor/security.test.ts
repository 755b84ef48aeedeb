/** The security check on a recorded host, with the allowed-subnets file as the proxy's reader answers. */
import assert from 'node:assert/strict';

import { recordKey } from '../../../src/doctor/context/system-access.js';
import { anyPeerWarning } from '../../../src/config/allowed-subnets.js';
import { replayJson } from './replay.js';

const ARGS = [
  '-4',
  '127.0.0.1:8080',
  '-6',
  '[::1]:8080',
  '-l',
  '0.0.0.0:8443',
  '-allowed-subnets',
  '/etc/lb',
  'security',
];

describe('doctor security check', function () {
  it("fails with the proxy's own refusal when the proxy would not start", async function () {
    const report = await replayJson('healthy', ARGS, {
      [recordKey.loadSubnets('/etc/lb')]: {
        ok: false,
        message: '/etc/lb:1: "lb.example.com" is not a numeric IPv4 or IPv6 address',
      },
    });
    assert.equal(report.exitCode, 1);
    assert.equal(
      report.checks[0]?.summary,
      '-allowed-subnets: /etc/lb:1: "lb.example.com" is not a numeric IPv4 or IPv6 address',
    );
  });

  it('judges the list the proxy would load, and warns about a catch-all', async function () {
    const report = await replayJson('healthy', ARGS, {
      [recordKey.loadSubnets('/etc/lb')]: { ok: true, subnets: ['192.0.2.0/24', '::/0'], notes: [] },
    });
    assert.equal(report.checks[0]?.status, 'warn');
    assert.equal(report.checks[0]?.summary, '/etc/lb allows ::/0: anyone may pose as any client');
  });

  it('warns without -allowed-subnets in the words the proxy logs at start', async function () {
    const report = await replayJson(
      'healthy',
      ['-4', '127.0.0.1:8080', '-6', '[::1]:8080', '-l', '0.0.0.0:8443', 'security'],
      {},
    );
    assert.equal(report.checks[0]?.status, 'warn');
    assert.equal(report.checks[0]?.summary, anyPeerWarning('0.0.0.0:8443'));
  });
});
