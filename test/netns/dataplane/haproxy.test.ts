/*
 * The data plane behind a real HAProxy (Debian's package), as deployed: the
 * load balancer on its own host sends PROXY v1 and v2 and health-checks with
 * check-send-proxy; the app host runs the data plane, the service and the
 * loopback routing.
 *
 *   ┌── client ───────┐      ┌── lb ──────────────────────────┐      ┌── app (loopback routing) ────────────────┐
 *   │ client.js       │ eth0 │ eth0 192.0.2.2   haproxy :8080  │ eth1 │ eth0 198.51.100.2                        │
 *   │ 192.0.2.1/24    ├──────┤ eth1 198.51.100.1              ├──────┤ data plane :8400 ─▶ service 127.0.0.1:7400│
 *   └─────────────────┘      │ s0 send-proxy, s1 send-proxy-v2 │      └──────────────────────────────────────────┘
 *                            └────────────────────────────────┘
 */
import assert from 'node:assert/strict';

import { DataPlaneDriver, dataPlaneConfig, eventually } from './harness/driver.js';
import { StreamService } from './harness/peers.js';
import {
  assertNoLeaks,
  exchange,
  HAPROXY,
  type Haproxy,
  type Host,
  Lab,
  payload,
  sha256,
  startHaproxy,
  tcpProxyConfig,
} from '../../../lab/index.js';
import { printLabLogOnFailure, requireNetns, requireProgram } from '../support/index.js';

describe('data plane behind HAProxy', function () {
  this.timeout(60_000);
  let lab: Lab;
  let client: Host;
  let app: Host;
  let haproxy: Haproxy;
  let plane: DataPlaneDriver;
  let service: StreamService;

  before(async function () {
    requireNetns(this);
    requireProgram(this, HAPROXY, 'haproxy');
    lab = Lab.create('dphap');
    client = await lab.host('client');
    const lb = await lab.host('lb');
    app = await lab.host('app');
    await lab.link(client, lb, { a: { v4: '192.0.2.1/24' }, b: { v4: '192.0.2.2/24' } });
    await lab.link(lb, app, { a: { v4: '198.51.100.1/24' }, b: { v4: '198.51.100.2/24' } });
    await app.addLoopbackRouting();
    service = await StreamService.start(app, '127.0.0.1:7400');
    plane = await DataPlaneDriver.start(
      app,
      dataPlaneConfig({
        listen: { family: 4, address: '198.51.100.2', port: 8400 },
        target4: { family: 4, address: '127.0.0.1', port: 7400 },
        connectTimeoutMs: 1500,
      }),
    );
    // Round robin over two servers that are the same data plane: one speaks
    // v1, the other v2; both are health-checked with a PROXY header.
    haproxy = await startHaproxy(lb, {
      config: tcpProxyConfig({
        bind: { address: '192.0.2.2', port: 8080 },
        servers: [
          { address: '198.51.100.2', port: 8400, sendProxy: 'v1', check: true },
          { address: '198.51.100.2', port: 8400, sendProxy: 'v2', check: true },
        ],
      }),
      waitForPorts: [8080],
    });
  });
  afterEach(function () {
    printLabLogOnFailure(this, lab);
  });
  after(async function () {
    if (!lab) return;
    await lab.destroy();
    await assertNoLeaks(lab);
  });

  it('the service sees the real client address and port through send-proxy and send-proxy-v2', async function () {
    for (let i = 0; i < 2; i++) {
      const result = await exchange(client, { connect: '192.0.2.2:8080', sendBytes: 100_000, expectPeer: true });
      assert.equal(result.ok, true, result.error);
      assert.deepEqual(result.peer, { address: '192.0.2.1', port: result.localPort });
      assert.equal(result.receivedSha256, sha256(payload(100_000)));
    }
    const logged = haproxy.logLines().filter((line) => / fe be\/s[01] /.test(line));
    assert.ok(
      logged.some((line) => / be\/s0 /.test(line)) && logged.some((line) => / be\/s1 /.test(line)),
      `both servers carried a connection:\n${logged.join('\n')}`,
    );
  });

  it("HAProxy health checks with check-send-proxy pass, and reach the app from the load balancer's address", async function () {
    // v2 checks arrive as LOCAL headers: connected from the real connection's endpoint, the load balancer.
    await eventually('LOCAL health checks', async () =>
      (await plane.counters()).localHeaders >= 2 ? true : undefined,
    );
    const counters = await plane.counters();
    assert.equal(counters.failures.bad_header, 0, JSON.stringify(counters.badHeaders));
    assert.equal(counters.failures.local_client, 0);
    assert.ok(!haproxy.logLines().some((line) => /is DOWN/.test(line)), haproxy.logLines().join('\n'));
    const peers = new Set(
      service.process.stdout
        .split('\n')
        .filter((line) => line.startsWith('ACCEPTED '))
        .map((line) => line.split(' ')[1]),
    );
    assert.ok(peers.has('198.51.100.1'), `the checks came from the load balancer: ${[...peers].join(', ')}`);
    assert.ok(!peers.has('127.0.0.1') && !peers.has('198.51.100.2'), `never from this host: ${[...peers].join(', ')}`);
  });

  it('without loopback routing: the connect times out, HAProxy logs SD with 0 bytes, the event names the cause', async function () {
    await app.removeLoopbackRouting();
    const result = await exchange(client, {
      connect: '192.0.2.2:8080',
      sendBytes: 10,
      expectPeer: true,
      timeoutMs: 15_000,
    });
    assert.equal(result.ok, false);
    assert.equal(result.receivedBytes, 0);
    const [line] = await haproxy.waitForLog(new RegExp(`^192\\.0\\.2\\.1:${result.localPort} .* fe be/s[01] .*$`, 'm'));
    assert.match(line, / 0 SD /, `HAProxy blames the server side during data, having sent 0 bytes: ${line}`);
    // HAProxy's v1 health checks time out the same way, from their own addresses and any port: pick our client's event.
    const event = await eventually('the connect_timeout event of our client', () =>
      plane
        .events()
        .find(
          (e) =>
            e.kind === 'connect_timeout' && e.client?.address === '192.0.2.1' && e.client.port === result.localPort,
        ),
    );
    assert.match(event.message, /not routed back over loopback.*mmproxy doctor/);
    assert.deepEqual(event.client, { family: 4, address: '192.0.2.1', port: result.localPort });
  });
});
