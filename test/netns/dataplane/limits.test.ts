/*
 * How the data plane refuses and fails: allowed subnets (and reloading
 * them), maxConnections, no target, refused and timed-out upstream connects,
 * resets, and start-up errors.
 *
 *   ┌── app (loopback routing) ──────────────────────┐   ┌── noroute (no loopback routing) ─────────┐
 *   │ proxy-client ─▶ data plane :82xx ─▶ service     │   │ proxy-client ─▶ data plane :8300 ─▶       │
 *   │                              127.0.0.1:7200     │   │   service 127.0.0.1:7300: its SYN-ACK to  │
 *   └─────────────────────────────────────────────────┘   │   the spoofed client has no route back    │
 *                                                         └───────────────────────────────────────────┘
 */
import assert from 'node:assert/strict';

import { DataPlaneDriver, dataPlaneConfig, eventually } from './harness/driver.js';
import { v1, v2 } from './harness/headers.js';
import { runClient, startClient, StreamService } from './harness/peers.js';
import { assertNoLeaks, type Host, Lab, payload, sha256 } from '../../../lab/index.js';
import { printLabLogOnFailure, requireNetns } from '../support/index.js';

const target4 = { family: 4 as const, address: '127.0.0.1', port: 7200 };
const header = (sourcePort: number): Buffer =>
  v2({ source: '198.51.100.20', sourcePort, destination: '192.0.2.10', destinationPort: 443 });

describe('data plane: refusals and failures', function () {
  this.timeout(60_000);
  let lab: Lab;
  let app: Host;
  let service: StreamService;

  before(async function () {
    requireNetns(this);
    lab = Lab.create('dplimit');
    app = await lab.host('app');
    await app.addLoopbackRouting();
    service = await StreamService.start(app, '127.0.0.1:7200');
  });
  afterEach(function () {
    printLabLogOnFailure(this, lab);
  });
  after(async function () {
    if (!lab) return;
    await lab.destroy();
    await assertNoLeaks(lab);
  });

  it('rejects peers outside the allowed subnets before reading, and setAllowedSubnets applies to new connections', async function () {
    const plane = await DataPlaneDriver.start(
      app,
      dataPlaneConfig({
        listen: { family: 4, address: '127.0.0.1', port: 8200 },
        target4,
        allowedSubnets: ['192.0.2.0/24', '2001:db8::/32'],
      }),
    );
    const accepted = service.accepted();
    const refused = await runClient(app, {
      connect: '127.0.0.1:8200',
      header: header(43001),
      sendBytes: 10,
      timeoutMs: 10_000,
    });
    assert.notEqual(refused.ended, 'timeout');
    assert.equal(refused.peer, null);
    assert.equal(service.accepted(), accepted, 'no upstream connect for a refused peer');
    assert.equal((await plane.counters()).failures.not_allowed, 1);
    assert.equal((await plane.waitForEvent('not_allowed')).loadBalancer?.address, '127.0.0.1');

    await plane.command('setAllowedSubnets', ['127.0.0.0/8']);
    const allowed = await runClient(app, { connect: '127.0.0.1:8200', header: header(43002), sendBytes: 10 });
    assert.deepEqual(allowed.peer, { address: '198.51.100.20', port: 43002 });
    assert.equal((await plane.counters()).failures.not_allowed, 1);
    await plane.close();
  });

  it('closes connections over maxConnections at once and counts them', async function () {
    const plane = await DataPlaneDriver.start(
      app,
      dataPlaneConfig({
        listen: { family: 4, address: '127.0.0.1', port: 8201 },
        target4,
        maxConnections: 1,
      }),
    );
    const holder = startClient(app, {
      connect: '127.0.0.1:8201',
      header: header(43011),
      mode: 'hold',
      sendBytes: 64 * 1024,
    });
    await eventually('the first flow to be established', async () =>
      (await plane.flows()).find((flow) => flow.state === 'established'),
    );
    const over = await runClient(app, {
      connect: '127.0.0.1:8201',
      header: header(43012),
      sendBytes: 10,
      timeoutMs: 10_000,
    });
    assert.notEqual(over.ended, 'timeout');
    assert.equal(over.peer, null);
    assert.equal((await plane.counters()).failures.too_many_connections, 1);
    await holder.waitForOutput(/"ended":"eof"/, 20_000);
    const after = await runClient(app, { connect: '127.0.0.1:8201', header: header(43013), sendBytes: 10 });
    assert.deepEqual(after.peer, { address: '198.51.100.20', port: 43013 }, 'a slot is free again');
    await plane.close();
  });

  it('counts a client family without a target as no_target', async function () {
    const plane = await DataPlaneDriver.start(
      app,
      dataPlaneConfig({
        listen: { family: 4, address: '127.0.0.1', port: 8202 },
        target4,
        target6: null,
      }),
    );
    const v6 = v1({ source: '2001:db8::20', sourcePort: 43021, destination: '2001:db8::10', destinationPort: 443 });
    const result = await runClient(app, { connect: '127.0.0.1:8202', header: v6, sendBytes: 10, timeoutMs: 10_000 });
    assert.equal(result.peer, null);
    assert.equal((await plane.counters()).failures.no_target, 1);
    assert.match((await plane.waitForEvent('no_target')).message, /IPv6 clients \(set -6\)/);
    await plane.close();
  });

  it('counts a refused upstream connect and closes the load balancer connection', async function () {
    const plane = await DataPlaneDriver.start(
      app,
      dataPlaneConfig({
        listen: { family: 4, address: '127.0.0.1', port: 8203 },
        target4: { ...target4, port: 7299 },
      }),
    );
    const result = await runClient(app, {
      connect: '127.0.0.1:8203',
      header: header(43031),
      sendBytes: 10,
      timeoutMs: 10_000,
    });
    assert.notEqual(result.ended, 'timeout');
    const counters = await plane.counters();
    assert.equal(counters.failures.connect_refused, 1);
    assert.equal(counters.connectDurations.count, 0, 'only successful connects have a connect duration');
    const event = await plane.waitForEvent('connect_refused');
    assert.equal(event.code, 'ECONNREFUSED');
    assert.deepEqual(event.client, { family: 4, address: '198.51.100.20', port: 43031 });
    await plane.close();
  });

  it('a reset from the client resets the target side too', async function () {
    const plane = await DataPlaneDriver.start(
      app,
      dataPlaneConfig({
        listen: { family: 4, address: '127.0.0.1', port: 8204 },
        target4,
      }),
    );
    const result = await runClient(app, {
      connect: '127.0.0.1:8204',
      header: header(43041),
      mode: 'reset',
      sendBytes: 1000,
    });
    assert.equal(result.ended, 'reset');
    assert.equal(result.receivedSha256, sha256(payload(1000)));
    const done = await eventually('the service to see the end', () =>
      service.done().find((d) => d.peer.port === 43041),
    );
    assert.equal(done.error, 'ECONNRESET');
    assert.equal((await plane.counters()).failures.relay_error, 1);
    assert.equal((await plane.waitForEvent('relay_error')).code, 'ECONNRESET');
    await plane.close();
  });

  it('stopAccepting() closes the listeners while open flows finish', async function () {
    const plane = await DataPlaneDriver.start(
      app,
      dataPlaneConfig({
        listen: { family: 4, address: '127.0.0.1', port: 8205 },
        target4,
      }),
    );
    const holder = startClient(app, {
      connect: '127.0.0.1:8205',
      header: header(43061),
      mode: 'hold',
      sendBytes: 64 * 1024,
    });
    await eventually('the flow to be established', async () =>
      (await plane.flows()).find((flow) => flow.state === 'established'),
    );
    await plane.command('stopAccepting');
    const late = await runClient(app, {
      connect: '127.0.0.1:8205',
      header: header(43062),
      sendBytes: 10,
      timeoutMs: 10_000,
    });
    assert.equal(late.ended, 'ECONNREFUSED', 'nothing listens any more');
    const [line] = await holder.waitForOutput(/^\{"ended".*$/m, 20_000);
    const held = JSON.parse(line) as { ended: string; receivedSha256: string };
    assert.equal(held.ended, 'eof');
    assert.equal(held.receivedSha256, sha256(payload(64 * 1024)), 'the open flow finished intact');
    await eventually('no active flows', async () => ((await plane.counters()).active === 0 ? true : undefined));
    await plane.close();
  });

  it('out of descriptors, it pauses accepting, says so once, and resumes', async function () {
    // Room for Node, the control socket, one worker and a few flows: the
    // rest of the burst meets EMFILE in accept() or in socket() for the
    // upstream, which fails that flow and frees its descriptor.
    const plane = await DataPlaneDriver.start(
      app,
      dataPlaneConfig({
        listen: { family: 4, address: '127.0.0.1', port: 8206 },
        target4,
        listeners: 1,
      }),
      { maxOpenFiles: 40 },
    );
    const burst = Array.from({ length: 12 }, (_, i) =>
      startClient(app, { connect: '127.0.0.1:8206', header: header(43100 + i), mode: 'hold', sendBytes: 16 * 1024 }),
    );
    const backoff = await plane.waitForEvent('accept_backoff', 20_000);
    assert.equal(backoff.level, 'warn');
    assert.equal(backoff.code, 'EMFILE');
    assert.match(backoff.message, /open-files limit/);
    for (const client of burst) await client.waitForOutput(/^\{"ended"/m, 30_000);
    const after = await runClient(app, { connect: '127.0.0.1:8206', header: header(43199), sendBytes: 10 });
    assert.deepEqual(after.peer, { address: '198.51.100.20', port: 43199 });
    // Said once a connection gets both its sockets again: the burst may have ended without one.
    await eventually(
      'accepting to resume',
      () => plane.events().find((event) => event.kind === 'accept_backoff' && event.level === 'info'),
      20_000,
    );
    assert.equal(plane.events().filter((event) => event.kind === 'accept_backoff' && event.level === 'warn').length, 1);
    // Each accept reads the header and opens the upstream socket at once (the listener defers accepting until
    // the header is in), so EMFILE meets either call: a failed accept or a failed upstream socket.
    const counters = await plane.counters();
    assert.ok(counters.acceptErrors + counters.failures.connect_error >= 1, JSON.stringify(counters));
    await plane.close();
  });

  it('-mark puts SO_MARK on the spoofed upstream socket', async function () {
    const plane = await DataPlaneDriver.start(
      app,
      dataPlaneConfig({
        listen: { family: 4, address: '127.0.0.1', port: 8207 },
        target4,
        mark: 123,
      }),
    );
    const holder = startClient(app, {
      connect: '127.0.0.1:8207',
      header: header(43071),
      mode: 'hold',
      sendBytes: 64 * 1024,
    });
    await eventually('the flow to be established', async () =>
      (await plane.flows()).find((flow) => flow.state === 'established'),
    );
    const { stdout } = await app.run(['ss', '-tneH', 'state', 'established', 'src', '198.51.100.20:43071']);
    assert.match(stdout, /fwmark:0x7b/, `the upstream socket carries mark 123:\n${stdout}`);
    await holder.waitForOutput(/^\{"ended":"eof"/m, 20_000);
    await plane.close();
  });

  it('-listen-transparent lets the listener bind an address the host does not have', async function () {
    const nonLocal = { family: 4 as const, address: '192.0.2.99', port: 8208 };
    await assert.rejects(
      DataPlaneDriver.start(app, dataPlaneConfig({ listen: nonLocal, target4 })),
      /"code":"EADDRNOTAVAIL","syscall":"bind"/,
    );
    const plane = await DataPlaneDriver.start(
      app,
      dataPlaneConfig({ listen: nonLocal, target4, listenTransparent: true }),
    );
    assert.match((await plane.waitForEvent('listening')).message, /listening on 192\.0\.2\.99:8208 with 2 worker/);
    await plane.close();
  });

  it('reports a listen failure with the syscall and errno', async function () {
    await assert.rejects(
      DataPlaneDriver.start(app, dataPlaneConfig({ listen: { family: 4, address: '127.0.0.1', port: 7200 } })),
      /"code":"EADDRINUSE","syscall":"bind","message":"cannot listen on 127.0.0.1:7200: bind: Address already in use"/,
    );
  });

  describe('without loopback routing', function () {
    let noroute: Host;
    before(async function () {
      noroute = await lab.host('noroute');
      await StreamService.start(noroute, '127.0.0.1:7300');
    });

    it('the upstream connect times out, the load balancer connection is closed, and the event names the cause', async function () {
      const plane = await DataPlaneDriver.start(
        noroute,
        dataPlaneConfig({
          listen: { family: 4, address: '127.0.0.1', port: 8300 },
          target4: { ...target4, port: 7300 },
          connectTimeoutMs: 1000,
        }),
      );
      const result = await runClient(noroute, {
        connect: '127.0.0.1:8300',
        header: header(43051),
        sendBytes: 10,
        timeoutMs: 15_000,
      });
      assert.notEqual(result.ended, 'timeout', 'the load balancer connection was closed');
      assert.equal(result.receivedBytes, 0);
      assert.equal((await plane.counters()).failures.connect_timeout, 1);
      const event = await plane.waitForEvent('connect_timeout');
      assert.equal(event.level, 'error');
      assert.match(event.message, /timed out after 1000 ms/);
      assert.match(event.message, /not routed back over loopback/);
      assert.match(event.message, /mmproxy doctor/);
      const { fdsBefore, fdsAfter } = await plane.close();
      assert.equal(fdsAfter, fdsBefore);
    });
  });
});
