/*
 * The native data plane, for real, in one namespace with loopback routing.
 *
 *   ┌── app (lo: 127.0.0.1, ::1; ip rule from 127.0.0.1/8 / ::1 iif lo → table 123: local) ──┐
 *   │  proxy-client ──PROXY header──▶ data plane [::]:8000 ──spoofed client addr──▶ service   │
 *   │  (the load balancer)            (driver, 2 workers)     127.0.0.1:7000 / [::1]:7000     │
 *   └──────────────────────────────────────────────────────────────────────────────────────────┘
 *
 * The service reports the peer address it sees; the client addresses in the
 * headers are documentation ranges that exist nowhere, so seeing them proves
 * the spoofing path.
 */
import assert from 'node:assert/strict';

import type { DataPlaneCounters } from '../../../src/base/flows.js';
import { DataPlaneDriver, dataPlaneConfig, eventually } from './harness/driver.js';
import { MALFORMED, v1, v1Unknown, v2, v2Local, v2WithNoop } from './harness/headers.js';
import { runClient, startClient, StreamService } from './harness/peers.js';
import { assertNoLeaks, type Host, Lab, payload, sha256 } from '../../../lab/index.js';
import { printLabLogOnFailure, requireNetns } from '../support/index.js';

const LISTEN = '127.0.0.1:8000';
const LISTEN6 = '[::1]:8000';

describe('data plane: spoofing relay in one namespace', function () {
  this.timeout(60_000);
  let lab: Lab;
  let app: Host;
  let plane: DataPlaneDriver;
  let service4: StreamService;
  let service6: StreamService;

  before(async function () {
    requireNetns(this);
    lab = Lab.create('dplane');
    app = await lab.host('app');
    await app.addLoopbackRouting();
    service4 = await StreamService.start(app, '127.0.0.1:7000');
    service6 = await StreamService.start(app, '[::1]:7000');
    plane = await DataPlaneDriver.start(
      app,
      dataPlaneConfig({ listen: { family: 6, address: '::', port: 8000 }, headerTimeoutMs: 1500, debugEvents: true }),
    );
  });
  afterEach(function () {
    printLabLogOnFailure(this, lab);
  });
  after(async function () {
    if (!lab) return;
    await lab.destroy();
    await assertNoLeaks(lab);
  });

  const client4 = { source: '198.51.100.7', sourcePort: 40001, destination: '192.0.2.10', destinationPort: 443 };
  const client6 = { source: '2001:db8::7', sourcePort: 40002, destination: '2001:db8::10', destinationPort: 443 };

  for (const [version, build] of [
    ['v1', v1],
    ['v2', v2],
  ] as const) {
    it(`${version} IPv4: the service sees the header's client address and port`, async function () {
      const header = build({ ...client4, sourcePort: version === 'v1' ? 40011 : 40012 });
      const result = await runClient(app, { connect: LISTEN, header, sendBytes: 1000 });
      assert.equal(result.ended, 'eof');
      assert.deepEqual(result.peer, { address: '198.51.100.7', port: version === 'v1' ? 40011 : 40012 });
      assert.equal(result.receivedSha256, result.sentSha256, 'echo arrives intact');
    });

    it(`${version} IPv6: the service sees the header's client address and port`, async function () {
      const header = build({ ...client6, sourcePort: version === 'v1' ? 40021 : 40022 });
      const result = await runClient(app, { connect: LISTEN6, header, sendBytes: 1000 });
      assert.equal(result.ended, 'eof');
      assert.deepEqual(result.peer, { address: '2001:db8::7', port: version === 'v1' ? 40021 : 40022 });
      assert.equal(result.receivedSha256, result.sentSha256);
    });
  }

  it('bytes after the header in the same segment arrive, in order', async function () {
    const header = v2({ ...client4, sourcePort: 40031 });
    const result = await runClient(app, { connect: LISTEN, header, sendBytes: 777, sameWrite: true });
    assert.equal(result.ended, 'eof');
    assert.equal(result.receivedBytes, 777);
    assert.equal(result.receivedSha256, sha256(payload(777)));
  });

  it('a server-first protocol works: the banner reaches a client that has sent nothing but the header', async function () {
    const header = v1({ ...client4, sourcePort: 40041 });
    // read-then-send: the client waits for the service's FIN before it sends anything.
    const service = await StreamService.start(app, '127.0.0.1:7001', 'send-then-read', 4096);
    const banner = await DataPlaneDriver.start(
      app,
      dataPlaneConfig({
        listen: { family: 4, address: '127.0.0.1', port: 8001 },
        target4: { family: 4, address: '127.0.0.1', port: 7001 },
      }),
    );
    const result = await runClient(app, { connect: '127.0.0.1:8001', header, mode: 'read-then-send', sendBytes: 100 });
    assert.equal(result.ended, 'eof');
    assert.deepEqual(result.peer, { address: '198.51.100.7', port: 40041 });
    assert.equal(result.receivedSha256, sha256(payload(4096)));
    const done = await eventually('the service to finish', () => service.done()[0]);
    assert.equal(done.receivedSha256, sha256(payload(100)));
    await banner.close();
  });

  it('a header fed one byte at a time works', async function () {
    const header = v1({ ...client4, sourcePort: 40051 });
    const result = await runClient(app, { connect: LISTEN, header, trickleHeader: true, sendBytes: 500 });
    assert.equal(result.ended, 'eof');
    assert.deepEqual(result.peer, { address: '198.51.100.7', port: 40051 });
    assert.equal(result.receivedSha256, sha256(payload(500)));
    const v2result = await runClient(app, {
      connect: LISTEN,
      header: v2({ ...client6, sourcePort: 40052 }),
      trickleHeader: true,
      sendBytes: 10,
    });
    assert.deepEqual(v2result.peer, { address: '2001:db8::7', port: 40052 });
  });

  it('a v2 header longer than one read (40 KB of TLVs) works, with the data behind it', async function () {
    const header = v2WithNoop({ ...client4, sourcePort: 40055 }, 40_000);
    const result = await runClient(app, { connect: LISTEN, header, sendBytes: 100_000, sameWrite: true });
    assert.equal(result.ended, 'eof');
    assert.deepEqual(result.peer, { address: '198.51.100.7', port: 40055 });
    assert.equal(result.receivedSha256, sha256(payload(100_000)));
  });

  it('two listeners share the connections (SO_REUSEPORT)', async function () {
    // Each connection lands on a worker by its 4-tuple hash: with 16, both
    // workers are used unless 1 in 32768 bad luck.
    const holders = Array.from({ length: 16 }, (_, i) =>
      startClient(app, {
        connect: LISTEN,
        header: v2({ ...client4, sourcePort: 40100 + i }),
        mode: 'hold',
        sendBytes: 16 * 1024,
      }),
    );
    const workers = await eventually('both workers to hold flows', async () => {
      const used = new Set(
        (await plane.flows()).filter((flow) => flow.state === 'established').map((flow) => flow.worker),
      );
      return used.size === 2 ? used : undefined;
    });
    assert.deepEqual([...workers].sort(), [0, 1]);
    for (const holder of holders) await holder.waitForOutput(/^\{"ended":"eof"/m, 20_000);
  });

  it('malformed headers are rejected without any upstream connect, and counted by code', async function () {
    const acceptedBefore = service4.accepted() + service6.accepted();
    const before = await plane.counters();
    for (const { header } of MALFORMED) {
      const result = await runClient(app, { connect: LISTEN, header, mode: 'silent', timeoutMs: 10_000 });
      assert.notEqual(result.ended, 'timeout', 'the load balancer connection is closed promptly');
      assert.equal(result.peer, null);
    }
    const after = await plane.counters();
    assert.equal(after.failures.bad_header - before.failures.bad_header, MALFORMED.length);
    for (const { name, code } of MALFORMED) {
      const expected = MALFORMED.filter((m) => m.code === code).length;
      assert.equal((after.badHeaders[code] ?? 0) - (before.badHeaders[code] ?? 0), expected, `${name}: ${code}`);
    }
    assert.equal(service4.accepted() + service6.accepted(), acceptedBefore, 'the service saw no connection');
    const event = await plane.waitForEvent('bad_header');
    assert.equal(event.level, 'warn');
    assert.ok(event.code?.startsWith('ERR_'));
  });

  it('a silent peer is dropped after the header timeout', async function () {
    const before = await plane.counters();
    const result = await runClient(app, {
      connect: LISTEN,
      header: Buffer.alloc(0),
      mode: 'silent',
      timeoutMs: 15_000,
    });
    assert.notEqual(result.ended, 'timeout');
    const after = await plane.counters();
    assert.equal(after.failures.header_timeout - before.failures.header_timeout, 1);
    const event = await plane.waitForEvent('header_timeout');
    assert.match(event.message, /no complete PROXY header within 1500 ms/);
  });

  it('a v2 LOCAL and a v1 UNKNOWN header from a load balancer on this host connect from our own address', async function () {
    const before = await plane.counters();
    const local = await runClient(app, { connect: LISTEN, header: v2Local(), sendBytes: 10 });
    assert.equal(local.peer?.address, '127.0.0.1', 'not spoofed: the data plane connected from its own address');
    assert.equal(local.receivedSha256, sha256(payload(10)));
    const unknown = await runClient(app, { connect: LISTEN6, header: v1Unknown(), sendBytes: 10 });
    assert.equal(unknown.peer?.address, '::1', 'an IPv6 load balancer connection picks target6');
    const after = await plane.counters();
    assert.equal(after.localHeaders - before.localHeaders, 2);
  });

  it('counters and flows show live flows with growing byte counts', async function () {
    const header = v2({ ...client4, sourcePort: 40061 });
    const holder = startClient(app, { connect: LISTEN, header, mode: 'hold', sendBytes: 64 * 1024 });
    const live = await eventually('a live flow with bytes', async () => {
      const flows = await plane.flows();
      return flows.find((flow) => flow.client?.port === 40061 && flow.bytesToTarget > 0);
    });
    assert.equal(live.protocol, 'tcp');
    assert.equal(live.state, 'established');
    assert.deepEqual(live.client, { family: 4, address: '198.51.100.7', port: 40061 });
    assert.deepEqual(live.target, { family: 4, address: '127.0.0.1', port: 7000 });
    assert.equal(live.loadBalancer.address, '127.0.0.1');
    const grown = await eventually('the flow to grow', async () => {
      const flows = await plane.flows();
      return flows.find(
        (flow) => flow.id === live.id && flow.bytesToTarget > live.bytesToTarget && flow.bytesToClient > 0,
      );
    });
    assert.ok(grown.bytesToTarget > live.bytesToTarget);
    const counters: DataPlaneCounters = await plane.counters();
    assert.ok(counters.active >= 1);
    await holder.waitForOutput(/"ended":"eof"/, 20_000);
    await eventually('the flow to end', async () =>
      (await plane.flows()).some((flow) => flow.id === live.id) ? undefined : true,
    );
  });

  it('each connect that succeeds is observed once in the connect-duration histogram', async function () {
    const connects = 4;
    const before = await plane.counters();
    for (let i = 0; i < connects; i++) {
      const [connect, client] = i % 2 === 0 ? [LISTEN, client4] : [LISTEN6, client6];
      const result = await runClient(app, {
        connect,
        header: v2({ ...client, sourcePort: 40071 + i }),
        sendBytes: 100,
      });
      assert.equal(result.receivedSha256, sha256(payload(100)));
    }
    const after = await plane.counters();
    const durations = after.connectDurations;
    assert.equal(after.established - before.established, connects);
    assert.equal(durations.count - before.connectDurations.count, connects, 'one observation per established connect');
    assert.equal(durations.count, after.established, 'no other connect was observed in this suite');
    assert.equal(
      durations.counts.reduce((a, b) => a + b, 0),
      durations.count,
      'count is the sum of the buckets',
    );
    assert.equal(durations.counts.length, durations.boundsMs.length + 1);
    assert.ok(durations.sumSeconds > before.connectDurations.sumSeconds, 'real connects take some time');
  });

  it('close() joins the workers and leaves no descriptor open', async function () {
    await eventually('no active flows', async () => ((await plane.counters()).active === 0 ? true : undefined));
    const closedFlows = plane.events().filter((event) => event.kind === 'flow_closed');
    assert.ok(closedFlows.length > 0, 'flow_closed events were delivered');
    assert.ok(closedFlows.every((event) => event.level === 'debug' && event.durationMs !== undefined));
    const { fdsBefore, fdsAfter } = await plane.close();
    assert.equal(fdsAfter, fdsBefore, 'descriptors after close() equal those before start()');
  });
});
