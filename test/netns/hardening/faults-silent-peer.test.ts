/*
 * A peer that vanishes without a FIN or a reset: everything from the load balancer, or everything to the target,
 * dropped by nftables in the app's namespace (topology: ./faults-net.ts). With --keepalive 2, keepalive probes
 * (idle flows) and TCP_USER_TIMEOUT (data in flight) make the kernel give up on the silent peer within about 5 s;
 * mmproxy then ends that flow as peer_timeout and resets the other side. A healthy flow from the second load
 * balancer runs throughout.
 */
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';

import { requireNetns, useSuiteNetwork } from '../support/index.js';
import { Figures, MB } from './helpers/faults-figures.js';
import type { Mmproxy } from './helpers/faults-mmproxy.js';
import { APP2, CLIENT, ECHO_PORT, FaultsNet, LB1 } from './helpers/faults-net.js';

const KEEPALIVE_SECONDS = 2;
/** Idle 2 s, then 3 probes 1 s apart (user timeout 5 s); generous for a loaded machine. */
const GIVE_UP_WITHIN_MS = 20_000;
/** ss samples of a flow's sockets (50 ms apart) for each to show its keepalive timer between pings. */
const SOCKET_SAMPLES = 100;
const SAMPLE_GAP_MS = 50;

describe('a silent peer: dead-peer detection (mmproxy CLI in network namespaces)', function () {
  this.timeout(60_000);
  const net = useSuiteNetwork(() => new FaultsNet('silent'), requireNetns);
  let proxy: Mmproxy;
  const figures = new Figures();
  let nextPort = 42_000;
  const port = (): number => ++nextPort;

  before(async function () {
    proxy = await net().mmproxy(8502, ['--keepalive', String(KEEPALIVE_SECONDS)]);
    const warmup = await net().healthy(proxy, port());
    await net().assertHealthy(warmup);
    await proxy.recordBaseline();
  });
  after(function () {
    figures.print('a silent peer: figures');
  });

  const peerTimeouts = async (): Promise<number> => (await proxy.snapshot()).counters.failures.peer_timeout;

  it('both sockets of a flow carry the keepalive timer', async function () {
    const clientPort = port();
    const flow = await net().healthy(proxy, clientPort);
    // The accepted socket inherits the options from the listener; the upstream one gets them once connected.
    // ss shows one timer per socket: while a ping is unacknowledged it is the retransmit timer ("on"), so the
    // sockets are sampled until each has shown its keepalive timer (a socket without SO_KEEPALIVE never does).
    const keepalive = /timer:\(keepalive,/;
    const shown = { loadBalancer: '', target: '' };
    for (let sample = 0; sample < SOCKET_SAMPLES; sample++) {
      const toLoadBalancer = await net().sockets(`${APP2}:${proxy.port}`);
      const toTarget = await net().sockets(`${CLIENT}:${clientPort}`);
      assert.equal(toLoadBalancer.length, 1, toLoadBalancer.join('\n'));
      assert.equal(toTarget.length, 1, toTarget.join('\n'));
      if (!keepalive.test(shown.loadBalancer)) shown.loadBalancer = toLoadBalancer[0]!;
      if (!keepalive.test(shown.target)) shown.target = toTarget[0]!;
      if (keepalive.test(shown.loadBalancer) && keepalive.test(shown.target)) break;
      await delay(SAMPLE_GAP_MS);
    }
    assert.match(shown.loadBalancer, keepalive, `the load balancer side: ${shown.loadBalancer}`);
    assert.match(shown.target, keepalive, `the target side: ${shown.target}`);
    await net().assertHealthy(flow);
  });

  it('the load balancer vanishes: its idle, busy and half-closed flows end, their targets are reset, the other flow goes on', async function () {
    const streaming = await net().service(7921, 'stream', 1024 * MB);
    const holding = await net().service(7923, 'hold');
    const healthy = await net().healthy(proxy, port());
    const before = await peerTimeouts();
    const [idlePort, busyPort, halfClosedPort] = [port(), port(), port()];
    const idle = net().client(net().lb1, proxy, { clientPort: idlePort, targetPort: ECHO_PORT, mode: 'idle' });
    const busy = net().client(net().lb1, proxy, { clientPort: busyPort, targetPort: 7921, mode: 'sink' });
    // Its request sent and its side closed, it waits for an answer the target is still working on.
    net().client(net().lb1, proxy, { clientPort: halfClosedPort, targetPort: 7923, mode: 'push', bytes: 64 * 1024 });
    await idle.waitFor('progress', 'the idle flow to make its round trip', (line) => Number(line['roundTrips']) > 0);
    await busy.waitFor('progress', 'the busy flow to receive', (line) => Number(line['received']) > 0);
    await holding.waitFor('progress', 'the held request to arrive', (line) => Number(line['received']) === 64 * 1024);
    const held = `${CLIENT}:${halfClosedPort}`;
    assert.match((await net().sockets(held))[0] ?? '', /^FIN-WAIT-2 /, "the load balancer's FIN went on to the target");

    const vanished = Date.now();
    const undo = await net().drop(net().app, `ip saddr ${LB1}`);
    try {
      const [idleDone, busyDone, halfClosedEnd] = await Promise.all([
        net().echo.done(CLIENT, idlePort, GIVE_UP_WITHIN_MS),
        streaming.done(CLIENT, busyPort, GIVE_UP_WITHIN_MS),
        proxy.waitForLog('peer_timeout', (line) => line.client === held, GIVE_UP_WITHIN_MS),
      ]);
      figures.add('LB vanished, idle flow (keepalive): target reset after', `${idleDone.atMs - vanished} ms`);
      figures.add('LB vanished, busy flow (TCP_USER_TIMEOUT): target reset after', `${busyDone.atMs - vanished} ms`);
      figures.add(
        'LB vanished, half-closed flow (keepalive): flow ended after',
        `${Date.parse(halfClosedEnd.time) - vanished} ms`,
      );
      assert.equal(idleDone.error, 'ECONNRESET', "the idle flow's target was reset");
      assert.ok(
        busyDone.error === 'ECONNRESET' || busyDone.error === 'EPIPE',
        `the busy flow's target saw ${busyDone.error}`,
      );
      // The holding target reads nothing after the FIN, so only its kernel sees the reset: no CLOSE-WAIT socket left.
      assert.deepEqual(await net().sockets('127.0.0.1:7923'), [], "the half-closed flow's target was reset");
      assert.equal(await peerTimeouts(), before + 3);
      const ours = [idlePort, busyPort, halfClosedPort].map((clientPort) => `${CLIENT}:${clientPort}`);
      const lines = proxy.log('peer_timeout').filter((line) => ours.includes(line.client ?? ''));
      assert.equal(lines.length, 3, JSON.stringify(lines));
      for (const line of lines) assert.match(line.msg, /^the load balancer stopped answering/);
      await net().assertHealthy(healthy);
    } finally {
      await undo();
    }
    await proxy.assertIdle();
  });

  it('the target vanishes: the flow ends and the load balancer connection is reset, the other flow goes on', async function () {
    await net().service(7922, 'echo');
    const healthy = await net().healthy(proxy, port());
    const before = await peerTimeouts();
    const clientPort = port();
    const client = net().client(net().lb1, proxy, { clientPort, targetPort: 7922, mode: 'idle' });
    await client.waitFor('progress', 'the flow to make its round trip', (line) => Number(line['roundTrips']) > 0);

    const vanished = Date.now();
    const undo = await net().drop(net().app, 'tcp dport 7922');
    try {
      const end = await client.end(GIVE_UP_WITHIN_MS);
      figures.add('target vanished, idle flow (keepalive): LB connection reset after', `${end.atMs - vanished} ms`);
      assert.equal(end.ended, 'ECONNRESET');
      assert.equal(await peerTimeouts(), before + 1);
      const line = await proxy.waitForLog('peer_timeout', (entry) => entry.client === `${CLIENT}:${clientPort}`);
      assert.match(line.msg, /^the target stopped answering \(Connection timed out/);
      await net().assertHealthy(healthy);
    } finally {
      await undo();
    }
    await proxy.assertIdle();
  });

  // Last: the link stays down.
  it("the load balancer's link goes down: its flow ends, its target is reset, the other flow goes on", async function () {
    const healthy = await net().healthy(proxy, port());
    const before = await peerTimeouts();
    const clientPort = port();
    const client = net().client(net().lb1, proxy, { clientPort, targetPort: ECHO_PORT, mode: 'idle' });
    await client.waitFor('progress', 'the flow to make its round trip', (line) => Number(line['roundTrips']) > 0);

    const vanished = Date.now();
    await net().lb1.ip(['link', 'set', 'eth0', 'down']);
    const done = await net().echo.done(CLIENT, clientPort, GIVE_UP_WITHIN_MS);
    assert.equal(done.error, 'ECONNRESET', 'the target was reset');
    assert.equal(await peerTimeouts(), before + 1);
    const line = await proxy.waitForLog('peer_timeout', (entry) => entry.client === `${CLIENT}:${clientPort}`);
    figures.add('LB link down, idle flow: target reset after', `${done.atMs - vanished} ms (${line.code})`);
    assert.match(line.msg, /^the load balancer stopped answering/);
    await net().assertHealthy(healthy);
    await proxy.assertIdle();
  });
});
