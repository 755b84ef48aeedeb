/**
 * `mmproxy doctor --from-running` against the real proxy, in one namespace:
 * the doctor takes the running proxy's setup from its stats socket, finds it
 * healthy with loopback routing, and without it fails the routing check with
 * the fix, citing the connect timeouts the proxy has counted meanwhile.
 *
 *   ┌── srv ─────────────────────────────────────────────┐        ┌── gw ───────────┐
 *   │ mmproxy -l 127.0.0.1:8443 → 127.0.0.1:8080 [::1]:8080│  veth  │ 198.51.100.1    │
 *   │   --stats-socket <tmp>/s.sock (read from the root ns)├────────┤ (default route) │
 *   │ peer services on 127.0.0.1:8080 and [::1]:8080       │        └─────────────────┘
 *   └─────────────────────────────────────────────────────┘
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { requestSnapshot } from '../../../src/stats/client.js';
import { buildTopology } from './helpers/scenarios.js';
import { runDoctor, runDoctorJson } from './helpers/run-doctor.js';
import { assertNoLeaks, type Host, type HostProcess, Lab, startPeerService } from '../../../lab/index.js';
import { printLabLogOnFailure, requireNetns } from '../support/index.js';
import { startMmproxy, stopMmproxy } from '../../../lab/mmproxy/mmproxy-process.js';

const LISTEN_PORT = 8443;
// Short, so the spoofed connect below gives up quickly; the test waits on the counter, not on time.
const CONNECT_TIMEOUT = '300ms';
const POLL_MS = 50;
const POLL_LIMIT = 200;

/** One load-balancer connection whose PROXY header names a documentation client; resolves when the proxy closes it. */
async function spoofedConnection(srv: Host): Promise<void> {
  const script = `
    const socket = require('node:net').connect(${LISTEN_PORT}, '127.0.0.1', () => socket.write('PROXY TCP4 192.0.2.1 127.0.0.1 40000 8080\\r\\n'));
    socket.on('data', () => {});
    socket.on('close', () => process.exit(0));
    socket.on('error', () => process.exit(0));
    setTimeout(() => process.exit(1), 8000);`;
  const result = await srv.exec([process.execPath, '-e', script], { timeoutMs: 10_000 });
  assert.equal(result.code, 0, `the proxy kept the connection open: ${result.stderr}`);
}

async function waitForConnectTimeouts(socket: string): Promise<number> {
  for (let attempt = 0; attempt < POLL_LIMIT; attempt++) {
    const count = (await requestSnapshot(socket)).counters.failures.connect_timeout;
    if (count > 0) return count;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  throw new Error(`the proxy counted no connect timeout after ${POLL_LIMIT} polls`);
}

describe('mmproxy doctor --from-running, against the real proxy', function () {
  let lab: Lab;
  let srv: Host;
  let proxy: HostProcess;
  let dir: string;
  let socket: string;

  before(async function () {
    requireNetns(this);
    lab = Lab.create('drrun');
    ({ srv } = await buildTopology(lab));
    await srv.addLoopbackRouting();
    await startPeerService(srv, '127.0.0.1:8080');
    await startPeerService(srv, '[::1]:8080');
    dir = await mkdtemp(join(tmpdir(), 'mmp-drrun-'));
    socket = join(dir, 's.sock');
    proxy = await startMmproxy(srv, [
      '-l',
      `127.0.0.1:${LISTEN_PORT}`,
      '-4',
      '127.0.0.1:8080',
      '-6',
      '[::1]:8080',
      '--connect-timeout',
      CONNECT_TIMEOUT,
      '--stats-socket',
      socket,
    ]);
  });
  afterEach(function () {
    printLabLogOnFailure(this, lab);
  });
  after(async function () {
    if (!lab) return;
    if (proxy?.running) await stopMmproxy(proxy);
    await lab.destroy();
    if (dir) await rm(dir, { recursive: true, force: true });
    await assertNoLeaks(lab);
  });

  it("checks the running proxy's setup and finds it healthy", async function () {
    const text = await runDoctor(srv, ['--from-running', '--socket', socket]);
    assert.equal(text.code, 0, text.stdout + text.stderr);
    assert.match(
      text.stdout,
      new RegExp(
        `^mmproxy doctor: tcp 127\\.0\\.0\\.1:${LISTEN_PORT} → 127\\.0\\.0\\.1:8080, \\[::1\\]:8080 \\(running proxy, pid ${proxy.pid}\\)$`,
        'm',
      ),
    );
    const report = await runDoctorJson(srv, ['--from-running', '--socket', socket]);
    assert.equal(report.checks.get('loopback-routing-v4')?.status, 'ok');
    assert.equal(report.checks.get('loopback-routing-v6')?.status, 'ok');
    assert.deepEqual(
      [...report.checks.values()].filter((check) => check.status === 'fail'),
      [],
    );
  });

  it("without loopback routing: fails the routing check with the fix, citing the proxy's connect timeouts", async function () {
    // Given the routing removed and a client whose upstream connect therefore times out
    await srv.removeLoopbackRouting();
    await spoofedConnection(srv);
    const timeouts = await waitForConnectTimeouts(socket);
    // When the doctor checks the running proxy
    const report = await runDoctorJson(srv, ['--from-running', '--socket', socket]);
    // Then the routing check fails with the exact commands, and cites what the proxy counted
    assert.equal(report.code, 1);
    const v4 = report.checks.get('loopback-routing-v4')!;
    assert.equal(v4.status, 'fail');
    assert.deepEqual(v4.remediation?.commands, [
      'ip route add local 0.0.0.0/0 dev lo table 123',
      'ip rule add from 127.0.0.1 iif lo ipproto tcp sport 8080 lookup 123',
    ]);
    const cited = `the running proxy (pid ${proxy.pid}) has counted ${timeouts} connect timeout${timeouts === 1 ? '' : 's'}`;
    assert.ok(v4.evidence.includes(cited), v4.evidence.join('\n'));
    assert.equal(report.checks.get('loopback-routing-v6')?.status, 'fail');
  });

  it('with no proxy at the socket: one line saying what to do, exit 2', async function () {
    await stopMmproxy(proxy);
    const result = await runDoctor(srv, ['--from-running', '--socket', socket]);
    assert.equal(result.code, 2);
    assert.match(
      result.stderr,
      /^mmproxy: --from-running: no mmproxy is running with a stats socket at .*s\.sock \(start the proxy, or pass --socket PATH\)$/m,
    );
  });
});
