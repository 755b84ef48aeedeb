/**
 * Issue #13, UDP: a wildcard-bound UDP server is judged by what its replies
 * do, not by its binding. The doctor sends a spoofed datagram as the proxy
 * would and waits for the reply (its UDP probe):
 *
 * - a server that answers from the address it was asked on (IP_PKTINFO /
 *   IPV6_RECVPKTINFO, as dnsmasq and unbound do) is answered: exit 0, the
 *   check ok with the binding noted;
 * - a naive server (plain sendto: the kernel picks the host's primary
 *   address) answers a plain datagram but never the spoofed one: exit 1 with
 *   the cause; bound to the target address as the fix says, it is answered,
 *   and an unrelated service on the host still works.
 *
 * Both over IPv4 and IPv6, with go-mmproxy's loopback recipe in place.
 *
 *   ┌── srv ─────────────────────────────────────┐  veth  ┌── gw ────────────┐
 *   │ eth0 198.51.100.2/24 2001:db8:1::2/64      ├────────┤ 198.51.100.1     │
 *   │ default via gw (v4, v6); loopback routing  │        │ 2001:db8:1::1    │
 *   │ the UDP app on 0.0.0.0:5353 or [::]:5353   │        └──────────────────┘
 *   │ an unrelated TCP service on 198.51.100.2:22│
 *   └─────────────────────────────────────────────┘
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';

import { assertNoLeaks, exchange, type Host, type HostProcess, Lab, startPeerService } from '../../../lab/index.js';
import { printLabLogOnFailure, requireNetns } from '../support/index.js';
import { REPO_ROOT, runDoctorJson } from './helpers/run-doctor.js';
import { buildTopology } from './helpers/scenarios.js';

const SERVER = join(REPO_ROOT, 'test', 'netns', 'doctor', 'helpers', 'udp-answer-server.py');
const PORT = 5353;
const UNRELATED = '198.51.100.2:22';

interface Case {
  family: 4 | 6;
  mode: 'pktinfo' | 'naive';
}

const TARGET = { 4: '127.0.0.1', 6: '::1' } as const;
const bracketed = (family: 4 | 6) => (family === 6 ? `[${TARGET[6]}]:${PORT}` : `${TARGET[4]}:${PORT}`);

function startServer(srv: Host, { family, mode }: Case, address?: string): Promise<HostProcess> {
  const child = srv.spawn([
    'python3',
    SERVER,
    '--family',
    String(family),
    '--port',
    String(PORT),
    '--mode',
    mode,
    ...(address ? ['--address', address] : []),
  ]);
  return child.waitForOutput(/^LISTENING /m).then(() => child);
}

function doctorArgs(family: 4 | 6): string[] {
  const targets = family === 4 ? ['-4', bracketed(4), '-6', 'none'] : ['-4', 'none', '-6', bracketed(6)];
  return ['-p', 'udp', ...targets, '-l', '127.0.0.1:8443'];
}

const CASES: Case[] = [
  { family: 4, mode: 'pktinfo' },
  { family: 6, mode: 'pktinfo' },
  { family: 4, mode: 'naive' },
  { family: 6, mode: 'naive' },
];

describe('doctor udp-wildcard: the UDP probe is the truth', function () {
  this.timeout(60_000);
  before(function () {
    requireNetns(this);
  });

  for (const test of CASES) {
    describe(`IPv${test.family}, a wildcard-bound server that answers ${test.mode === 'pktinfo' ? 'from the queried address (IP_PKTINFO)' : 'from the primary address (plain sendto)'}`, function () {
      let lab: Lab;
      let srv: Host;
      let gw: Host;
      let server: HostProcess;
      before(async function () {
        lab = Lab.create('drudp');
        ({ srv, gw } = await buildTopology(lab));
        await srv.addLoopbackRouting();
        await startPeerService(srv, UNRELATED);
        server = await startServer(srv, test);
      });
      afterEach(function () {
        printLabLogOnFailure(this, lab);
      });
      after(async function () {
        if (!lab) return;
        await lab.destroy();
        await assertNoLeaks(lab);
      });

      if (test.mode === 'pktinfo') {
        it('passes (exit 0): the spoofed datagram is answered, the wildcard binding only noted', async function () {
          const report = await runDoctorJson(srv, doctorArgs(test.family));
          const check = report.checks.get('udp-wildcard');
          assert.equal(check?.status, 'ok', `${check?.summary}\n${check?.evidence.join('\n')}`);
          assert.match(check?.summary ?? '', /bound to a wildcard address, but it answers spoofed datagrams/);
          assert.ok(check?.evidence.some((line) => /^spoofed datagram from .*: answered$/.test(line)));
          assert.equal(report.code, 0);
        });
        return;
      }

      it('fails (exit 1) naming the wildcard binding, proven by the probe', async function () {
        const report = await runDoctorJson(srv, doctorArgs(test.family));
        const check = report.checks.get('udp-wildcard');
        assert.equal(check?.status, 'fail', `${check?.summary}\n${check?.evidence.join('\n')}`);
        assert.equal(
          check?.summary,
          `the app's UDP socket for ${bracketed(test.family)} is bound to a wildcard address: its replies miss the loopback routing (a plain datagram was answered, the spoofed one was not)`,
        );
        assert.deepEqual(check?.remediation?.commands, [
          `# bind the app to ${bracketed(test.family)} instead of ${test.family === 6 ? '[::]' : '0.0.0.0'}:${PORT}`,
        ]);
        assert.equal(report.code, 1);
      });

      it('bound to the target address as the fix says, it is answered; the unrelated service still works', async function () {
        server.kill('SIGTERM');
        await server.exited;
        server = await startServer(srv, test, TARGET[test.family]);
        const report = await runDoctorJson(srv, doctorArgs(test.family));
        const check = report.checks.get('udp-wildcard');
        assert.equal(check?.status, 'ok', `${check?.summary}\n${check?.evidence.join('\n')}`);
        assert.equal(check?.summary, 'the UDP target is bound to its own address');
        assert.ok(check?.evidence.some((line) => /^spoofed datagram from .*: answered$/.test(line)));
        assert.equal(report.code, 0);
        const unrelated = await exchange(gw, { connect: UNRELATED, expectPeer: true, sendBytes: 100, timeoutMs: 3000 });
        assert.ok(unrelated.ok, 'the unrelated service on the host address');
      });
    });
  }
});
