/*
 * The kit's HAProxy helper: real HAProxy between a client and a peer-service, logging to its stdout.
 *
 *   ┌── client ──────┐      ┌── lb ─────────────────────────┐      ┌── app ──────────────┐
 *   │ client.js      │ eth0 │ eth0 192.0.2.2   haproxy :8080 │ eth1 │ eth0                │
 *   │ 192.0.2.1/24   ├──────┤ eth1 198.51.100.1             ├──────┤ 198.51.100.2/24     │
 *   └────────────────┘      └───────────────────────────────┘      │ peer-service :7000  │
 *                                                                   └─────────────────────┘
 */
import assert from 'node:assert/strict';
import {
  assertNoLeaks,
  exchange,
  HAPROXY,
  Host,
  Lab,
  payload,
  sha256,
  startHaproxy,
  startPeerService,
  tcpProxyConfig,
} from '../../../lab/index.js';
import { printLabLogOnFailure, requireNetns, requireProgram } from '../support/index.js';

const LB_PORT = 8080;
const APP_PORT = 7000;
const BYTES = 64 * 1024;

describe('netns kit: HAProxy in a namespace', function () {
  let lab: Lab;
  let client: Host;
  let lb: Host;
  let app: Host;

  before(async function () {
    requireNetns(this);
    requireProgram(this, HAPROXY, 'haproxy');
    lab = Lab.create('haproxy');
    [client, lb, app] = [await lab.host('client'), await lab.host('lb'), await lab.host('app')];
    await lab.link(client, lb, { a: { v4: '192.0.2.1/24' }, b: { v4: '192.0.2.2/24' } });
    await lab.link(lb, app, { a: { v4: '198.51.100.1/24' }, b: { v4: '198.51.100.2/24' } });
    await startPeerService(app, `198.51.100.2:${APP_PORT}`);
  });

  afterEach(function () {
    printLabLogOnFailure(this, lab);
  });

  after(async function () {
    if (!lab) return;
    await lab.destroy();
    await assertNoLeaks(lab);
  });

  it('relays a TCP exchange and logs it in tcplog format', async function () {
    const haproxy = await startHaproxy(lb, {
      config: tcpProxyConfig({
        bind: { address: '192.0.2.2', port: LB_PORT },
        servers: [{ address: '198.51.100.2', port: APP_PORT }],
      }),
      waitForPorts: [LB_PORT],
    });
    const result = await exchange(client, { connect: `192.0.2.2:${LB_PORT}`, sendBytes: BYTES, expectPeer: true });
    assert.equal(result.ok, true, result.error);
    assert.equal(result.peer?.address, '198.51.100.1', 'without PROXY protocol the app sees the load balancer');
    assert.equal(result.receivedSha256, sha256(payload(BYTES)));
    await haproxy.waitForLog(new RegExp(`^192\\.0\\.2\\.1:${result.localPort} \\[.*\\] fe be/s0 `, 'm'));
    await haproxy.stop();
  });

  it("accepts the builder's send-proxy, send-proxy-v2 and check-send-proxy servers", async function () {
    const config = tcpProxyConfig({
      bind: [{ address: '192.0.2.2', port: LB_PORT }],
      servers: [
        { address: '198.51.100.2', port: APP_PORT, sendProxy: 'v1', check: true },
        { address: '198.51.100.2', port: APP_PORT, sendProxy: 'v2', check: true },
      ],
    });
    assert.match(config, /server s0 198\.51\.100\.2:7000 send-proxy check inter 500ms check-send-proxy\n/);
    assert.match(config, /server s1 198\.51\.100\.2:7000 send-proxy-v2 check inter 500ms check-send-proxy\n/);
    const haproxy = await startHaproxy(lb, { config, waitForPorts: [LB_PORT] });
    assert.equal(haproxy.process.running, true);
    await haproxy.stop();
  });

  it("rejects an invalid configuration with haproxy's own explanation", async function () {
    await assert.rejects(
      startHaproxy(lb, { config: 'frontend fe\n    bind 192.0.2.2:notaport\n' }),
      /haproxy rejected its configuration[\s\S]*ALERT/,
    );
  });
});
