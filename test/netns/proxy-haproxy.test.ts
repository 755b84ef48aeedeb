/*
 * mmproxy end to end: a client, real HAProxy sending PROXY headers, and the real `mmproxy` CLI in front of a
 * service that reports the peer address it sees.
 *
 *   ┌─ client ──────────────┐      ┌─ lb ─────────────────────────┐      ┌─ app ──────────────────────────────┐
 *   │ eth0 203.0.113.10/24  ├──────┤ eth0 203.0.113.1/24          │      │ mmproxy 192.0.2.2:84xx             │
 *   │      2001:db8:1::10/64│ veth │      2001:db8:1::1/64        │      │   -4 127.0.0.1:7000 -6 [::1]:7000  │
 *   └───────────────────────┘      │ haproxy :80xx (v4 and v6)    │      │ peer-service 127.0.0.1:7000        │
 *                                  │   → 192.0.2.2:84xx send-proxy│      │              [::1]:7000            │
 *                                  │ eth1 192.0.2.1/24            ├──────┤ eth0 192.0.2.2/24                  │
 *                                  └──────────────────────────────┘ veth │ default via 192.0.2.1              │
 *                                                                        │ loopback routing (table 123)       │
 *                                                                        └────────────────────────────────────┘
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  assertNoLeaks, exchange, HAPROXY, type Haproxy, type Host, type HostProcess, Lab, payload, printLabLogOnFailure,
  requireNetns, requireProgram, sha256, startHaproxy, startPeerService, tcpProxyConfig, type HaproxyServer,
} from './kit/index.js';
import { addToSection, serverStat } from './proxy/haproxy-extras.js';
import { startHeldClient } from './proxy/held-client-process.js';
import { MMPROXY_BIN, startMmproxy, stopMmproxy, waitUntilNotListening } from './proxy/mmproxy-process.js';
import { countMarks, removeMarkCounters } from './proxy/nft-mark.js';

const CLIENT_V4 = '203.0.113.10';
const CLIENT_V6 = '2001:db8:1::10';
const LB_FRONT_V4 = '203.0.113.1';
const LB_FRONT_V6 = '2001:db8:1::1';
const LB_BACK = '192.0.2.1';
const APP = '192.0.2.2';
const SERVICE_PORT = 7000;
const TARGETS = ['-4', `127.0.0.1:${SERVICE_PORT}`, '-6', `[::1]:${SERVICE_PORT}`];
const BYTES = 256 * 1024;

describe('mmproxy behind HAProxy (network namespaces)', function () {
  this.timeout(60_000);
  let lab: Lab;
  let client: Host;
  let lb: Host;
  let app: Host;
  let dir: string;
  let nextPort = 0;
  /** Started by the current test; stopped after it, whatever happened. */
  let started: HostProcess[] = [];

  /** A fresh pair of ports per test: mmproxy's (84xx) and HAProxy's frontend (80xx). */
  const ports = (): { mmproxy: number; lb: number } => {
    nextPort++;
    return { mmproxy: 8400 + nextPort, lb: 8000 + nextPort };
  };

  async function mmproxy(port: number, flags: string[]): Promise<HostProcess> {
    const child = await startMmproxy(app, ['-l', `${APP}:${port}`, ...TARGETS, ...flags]);
    started.push(child);
    return child;
  }

  async function haproxy(lbPort: number, servers: HaproxyServer[], edit = (config: string) => config): Promise<Haproxy> {
    const config = edit(
      tcpProxyConfig({
        bind: [{ address: LB_FRONT_V4, port: lbPort }, { address: LB_FRONT_V6, port: lbPort }],
        servers,
        timeoutServerMs: 10_000,
      }),
    );
    const started_ = await startHaproxy(lb, { config, waitForPorts: [lbPort] });
    started.push(started_.process);
    return started_;
  }

  /** One client exchange through HAProxy; asserts the service saw the client's own address and port. */
  async function assertClientSeen(lbPort: number, family: 4 | 6): Promise<void> {
    const connect = family === 4 ? `${LB_FRONT_V4}:${lbPort}` : `[${LB_FRONT_V6}]:${lbPort}`;
    const result = await exchange(client, { connect, sendBytes: BYTES, expectPeer: true });
    assert.equal(result.ok, true, result.error);
    assert.deepEqual(result.peer, { address: family === 4 ? CLIENT_V4 : CLIENT_V6, port: result.localPort });
    assert.equal(result.receivedSha256, sha256(payload(BYTES)));
  }

  before(async function () {
    requireNetns(this);
    requireProgram(this, HAPROXY, 'haproxy');
    lab = Lab.create('proxyha');
    [client, lb, app] = [await lab.host('client'), await lab.host('lb'), await lab.host('app')];
    await lab.link(client, lb, {
      a: { v4: `${CLIENT_V4}/24`, v6: `${CLIENT_V6}/64` },
      b: { v4: `${LB_FRONT_V4}/24`, v6: `${LB_FRONT_V6}/64` },
    });
    await lab.link(lb, app, { a: { v4: `${LB_BACK}/24` }, b: { v4: `${APP}/24` } });
    // Replies to clients would leave by this route if loopback routing were missing, as on a real host.
    await lab.route(app, { to: 'default', via: LB_BACK });
    await app.addLoopbackRouting();
    await startPeerService(app, `127.0.0.1:${SERVICE_PORT}`);
    await startPeerService(app, `[::1]:${SERVICE_PORT}`);
    dir = await mkdtemp(join(tmpdir(), 'mmproxy-e2e-'));
  });

  afterEach(async function () {
    printLabLogOnFailure(this, lab);
    await Promise.all(started.map((child) => child.stop()));
    started = [];
  });

  after(async function () {
    if (dir) await rm(dir, { recursive: true, force: true });
    if (!lab) return;
    await lab.destroy();
    await assertNoLeaks(lab);
  });

  for (const version of ['v1', 'v2'] as const) {
    it(`the service sees the client's real address and port, IPv4 and IPv6, with send-proxy${version === 'v2' ? '-v2' : ''}`, async function () {
      const port = ports();
      const proxy = await mmproxy(port.mmproxy, []);
      await haproxy(port.lb, [{ address: APP, port: port.mmproxy, sendProxy: version }]);
      await assertClientSeen(port.lb, 4);
      await assertClientSeen(port.lb, 6);
      assert.deepEqual(await stopMmproxy(proxy), { code: 0, signal: null });
    });
  }

  it('server-first protocols work: the banner arrives before the client sends a byte', async function () {
    const port = ports();
    await mmproxy(port.mmproxy, []);
    await haproxy(port.lb, [{ address: APP, port: port.mmproxy, sendProxy: 'v2' }]);
    const result = await exchange(client, { connect: `${LB_FRONT_V4}:${port.lb}`, sendBytes: 0, expectPeer: true });
    assert.equal(result.ok, true, result.error);
    assert.equal(result.peer?.address, CLIENT_V4);
  });

  it('HAProxy health checks with check-send-proxy pass (server UP after checks that read the banner)', async function () {
    const port = ports();
    const socketPath = join(dir, `haproxy-${port.lb}.sock`);
    const proxy = await mmproxy(port.mmproxy, ['-v', '2']);
    await haproxy(
      port.lb,
      [
        { address: APP, port: port.mmproxy, sendProxy: 'v1', check: true },
        { address: APP, port: port.mmproxy, sendProxy: 'v2', check: true },
        // A control that must fail its checks: nothing listens there.
        { address: APP, port: 9, sendProxy: 'v2', check: true },
      ],
      (config) =>
        addToSection(
          addToSection(config, 'global', [`stats socket ${socketPath} mode 600 level admin`]),
          'backend be',
          // The check passes only if mmproxy connected to the service and relayed its banner back.
          ['option tcp-check', 'tcp-check expect rstring ^PEER', 'default-server rise 1 fall 1'],
        ),
    );
    // Each server's first check decides its state (rise 1 fall 1); poll until all three have one.
    const deadline = Date.now() + 10_000;
    let stats = await Promise.all(['s0', 's1', 's2'].map((s) => serverStat(socketPath, 'be', s)));
    while (stats.some((s) => !/^[LS]/.test(s.checkStatus) || /INI/.test(s.checkStatus)) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      stats = await Promise.all(['s0', 's1', 's2'].map((s) => serverStat(socketPath, 'be', s)));
    }
    const [v1, v2, control] = stats;
    assert.equal(v1?.status, 'UP', JSON.stringify(v1));
    assert.equal(v1?.checkStatus, 'L7OK', JSON.stringify(v1));
    assert.equal(v2?.status, 'UP', JSON.stringify(v2));
    assert.equal(v2?.checkStatus, 'L7OK', JSON.stringify(v2));
    assert.equal(control?.status, 'DOWN', `the control server should fail its checks: ${JSON.stringify(control)}`);
    assert.deepEqual(await stopMmproxy(proxy), { code: 0, signal: null });
  });

  it('-allowed-subnets rejects load balancers not listed, and SIGHUP reloads the file without dropping flows', async function () {
    const port = ports();
    const file = join(dir, `lbs-${port.mmproxy}.txt`);
    await writeFile(file, '# not the load balancer\n198.51.100.0/24\n');
    const proxy = await mmproxy(port.mmproxy, ['-allowed-subnets', file, '-v', '1']);
    await haproxy(port.lb, [{ address: APP, port: port.mmproxy, sendProxy: 'v1' }]);

    const refused = await exchange(client, { connect: `${LB_FRONT_V4}:${port.lb}`, sendBytes: 10, expectPeer: true, timeoutMs: 8_000 });
    assert.equal(refused.ok, false, 'a load balancer outside the allowed subnets got through');
    await proxy.waitForOutput(/not_allowed: .*lb=192\.0\.2\.1:/, 5_000, 'stderr');

    await writeFile(file, '198.51.100.0/24\n192.0.2.1/32 # lb\n');
    proxy.kill('SIGHUP');
    await proxy.waitForOutput(/reload: SIGHUP: now allowing 2 subnets/, 5_000, 'stderr');
    await assertClientSeen(port.lb, 4);

    // A flow open across the next reloads must not be dropped, even by one that shrinks the list.
    const held = await startHeldClient(client, `${LB_FRONT_V4}:${port.lb}`, join(dir, `release-${port.mmproxy}`), BYTES);
    started.push(held.process);
    await writeFile(file, '192.0.2.1/32\nnot-a-prefix\n');
    proxy.kill('SIGHUP');
    await proxy.waitForOutput(/reload_failed: SIGHUP: .*:2: "not-a-prefix" .*still allowing the previous 2 subnets$/m, 5_000, 'stderr');
    await assertClientSeen(port.lb, 4);
    await writeFile(file, '198.51.100.0/24\n');
    proxy.kill('SIGHUP');
    await proxy.waitForOutput(/reload: SIGHUP: now allowing 1 subnet from/, 5_000, 'stderr');
    const result = await held.release();
    assert.equal(result.ok, true, result.error);
    assert.deepEqual(result.receivedSha256, [sha256(payload(BYTES))]);
    const refusedAgain = await exchange(client, { connect: `${LB_FRONT_V4}:${port.lb}`, sendBytes: 10, expectPeer: true, timeoutMs: 8_000 });
    assert.equal(refusedAgain.ok, false, 'the reloaded, shorter list was not applied to new connections');
    assert.deepEqual(await stopMmproxy(proxy), { code: 0, signal: null });
  });

  it('exit codes of the real binary: 2 for a usage mistake, 1 when it cannot listen, each with one line', async function () {
    const usage = await app.exec([process.execPath, MMPROXY_BIN, '-l', 'localhost:8443']);
    assert.equal(usage.code, 2, usage.stderr);
    assert.match(usage.stderr, /^mmproxy: -l: "localhost:8443": "localhost" is not a numeric IP address/);
    // The service already listens there (without SO_REUSEPORT).
    const taken = await app.exec([process.execPath, MMPROXY_BIN, '-l', `127.0.0.1:${SERVICE_PORT}`]);
    assert.equal(taken.code, 1, taken.stderr);
    assert.match(taken.stderr, /error start_failed: cannot listen on 127\.0\.0\.1:7000: .*another program already listens there/);
    assert.equal(taken.stderr.trim().split('\n').length, 1, taken.stderr);
  });

  it('-listen-transparent lets it listen on an address no interface has (for TPROXY)', async function () {
    const port = ports();
    const notLocal = `198.51.100.5:${port.mmproxy}`;
    const refused = await app.exec([process.execPath, MMPROXY_BIN, '-l', notLocal]);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /no interface has that address; use -listen-transparent/);
    const proxy = await startMmproxy(app, ['-l', notLocal, '-listen-transparent']);
    started.push(proxy);
    const { stdout } = await app.run(['ss', '-tlnH', 'src', notLocal]);
    assert.match(stdout, new RegExp(`198\\.51\\.100\\.5:${port.mmproxy}`));
    assert.deepEqual(await stopMmproxy(proxy), { code: 0, signal: null });
  });

  it('a flood of refused connections is logged as a few lines and a count (JSON log lines)', async function () {
    const port = ports();
    const file = join(dir, `nobody-${port.mmproxy}.txt`);
    await writeFile(file, '198.51.100.0/24\n');
    const flood = 200;
    const proxy = await mmproxy(port.mmproxy, ['-allowed-subnets', file, '-v', '1', '--log-format', 'json']);
    // Straight from the load balancer's host: each connection is closed by mmproxy at once.
    const script =
      `let left = ${flood}; const net = require('net');` +
      `for (let i = 0; i < ${flood}; i++) net.connect(${port.mmproxy}, '${APP}')` +
      `.on('error', () => {}).on('close', () => { if (--left === 0) process.exit(0); });` +
      `setTimeout(() => process.exit(1), 10000);`;
    const run = await lb.exec([process.execPath, '-e', script], { timeoutMs: 15_000 });
    assert.equal(run.code, 0, `not every connection was closed: ${run.stderr}`);
    assert.deepEqual(await stopMmproxy(proxy), { code: 0, signal: null });

    const lines = proxy.stderr.trim().split('\n').map((line) => JSON.parse(line) as { kind: string; suppressed?: number });
    const refused = lines.filter((line) => line.kind === 'not_allowed');
    const shown = refused.filter((line) => line.suppressed === undefined).length;
    const suppressed = refused.reduce((sum, line) => sum + (line.suppressed ?? 0), 0);
    assert.ok(shown < flood / 2, `${shown} lines for ${flood} refused connections`);
    assert.ok(suppressed > 0, 'no summary line');
    assert.equal(shown + suppressed, flood, 'every refused connection is either shown or counted');
  });

  it('-dynamic-destination connects to the destination in the PROXY header', async function () {
    const port = ports();
    // -4 points nowhere: only the header's destination (rewritten by HAProxy to the service) can work.
    const proxy = await startMmproxy(app, ['-l', `${APP}:${port.mmproxy}`, '-4', '127.0.0.1:9', '-dynamic-destination', '-v', '1']);
    started.push(proxy);
    await haproxy(port.lb, [{ address: APP, port: port.mmproxy, sendProxy: 'v2' }], (config) =>
      addToSection(config, 'frontend fe', [
        'tcp-request connection set-dst ipv4(127.0.0.1)',
        `tcp-request connection set-dst-port int(${SERVICE_PORT})`,
      ]),
    );
    await assertClientSeen(port.lb, 4);
  });

  it('-mark sets the mark on every packet mmproxy sends to the service', async function () {
    const port = ports();
    const mark = 0x2a;
    const counts = await countMarks(app, SERVICE_PORT, mark);
    try {
      await mmproxy(port.mmproxy, ['-mark', '0x2a']);
      await haproxy(port.lb, [{ address: APP, port: port.mmproxy, sendProxy: 'v2' }]);
      assert.deepEqual(await counts(), { marked: 0, unmarked: 0 });
      await assertClientSeen(port.lb, 4);
      const after = await counts();
      assert.ok(after.marked >= 3, `marked packets: ${JSON.stringify(after)}`);
      assert.equal(after.unmarked, 0, `unmarked packets to the service: ${JSON.stringify(after)}`);
    } finally {
      await removeMarkCounters(app);
    }
  });

  it('without loopback routing the connect times out, HAProxy logs SD with 0 bytes, and mmproxy names the cause', async function () {
    const port = ports();
    const proxy = await mmproxy(port.mmproxy, ['--connect-timeout', '1s']);
    const lbProxy = await haproxy(port.lb, [{ address: APP, port: port.mmproxy, sendProxy: 'v1' }]);
    await app.removeLoopbackRouting();
    try {
      // The client speaks first, as in most protocols: HAProxy then logs mmproxy giving up as SD, as in the
      // field. (With a server-first protocol and nothing sent, mmproxy's close is clean and HAProxy logs --.)
      const result = await exchange(client, { connect: `${LB_FRONT_V4}:${port.lb}`, sendBytes: 10 });
      assert.equal(result.receivedBytes, 0, 'the service answered without loopback routing');
      // tcplog: client:port [date] fe be/s0 Tw/Tc/Tt bytes_read termination_state ...
      await lbProxy.waitForLog(new RegExp(`^${CLIENT_V4.replaceAll('.', '\\.')}:${result.localPort} \\[[^\\]]+\\] fe be/s0 \\d+/\\d+/\\d+ 0 SD `, 'm'));
      await proxy.waitForOutput(/error connect_timeout: .*timed out .*not routed back over loopback.*run `mmproxy doctor`/, 5_000, 'stderr');
    } finally {
      await app.addLoopbackRouting();
    }
  });

  it('SIGTERM stops accepting, lets the open flow finish, then exits 0', async function () {
    const port = ports();
    const proxy = await mmproxy(port.mmproxy, ['--drain-timeout', '30s']);
    await haproxy(port.lb, [{ address: APP, port: port.mmproxy, sendProxy: 'v2' }]);
    const held = await startHeldClient(client, `${LB_FRONT_V4}:${port.lb}`, join(dir, `release-${port.mmproxy}`), BYTES);
    started.push(held.process);

    proxy.kill('SIGTERM');
    await proxy.waitForOutput(/draining: stopped accepting; .* active=1/, 5_000, 'stderr');
    await waitUntilNotListening(app, port.mmproxy);
    assert.equal(proxy.running, true, 'mmproxy exited with a flow still open');

    const result = await held.release();
    assert.equal(result.ok, true, result.error);
    assert.deepEqual(result.receivedSha256, [sha256(payload(BYTES))]);
    assert.deepEqual(await proxy.exited, { code: 0, signal: null });
    assert.match(proxy.stderr, /stopped: all connections closed .*completed=1/);
  });

  it('SIGTERM with a flow that does not finish closes it after --drain-timeout and exits 0', async function () {
    const port = ports();
    const proxy = await mmproxy(port.mmproxy, ['--drain-timeout', '1s']);
    await haproxy(port.lb, [{ address: APP, port: port.mmproxy, sendProxy: 'v2' }]);
    const held = await startHeldClient(client, `${LB_FRONT_V4}:${port.lb}`, join(dir, `never-${port.mmproxy}`), BYTES);
    started.push(held.process);

    proxy.kill('SIGTERM');
    assert.deepEqual(await proxy.exited, { code: 0, signal: null });
    assert.match(proxy.stderr, /drain_incomplete: closing 1 open connection: the drain timeout passed/);
  });
});
