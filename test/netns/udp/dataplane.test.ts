/*
 * The native UDP data plane, for real, in one namespace with loopback routing.
 *
 *   ┌── app (lo: 127.0.0.1, ::1; ip rule from 127.0.0.1/8 / ::1 iif lo → table 123: local) ──────┐
 *   │  udp-sender ──PROXY v2 DGRAM + payload──▶ data plane [::]:8100 ──spoofed client──▶ service │
 *   │  (the load balancer,                      (driver, protocol udp,    127.0.0.1:7100       │
 *   │   127.0.0.1 / ::1)   ◀──bare reply payload── 2 workers)              [::1]:7100            │
 *   └──────────────────────────────────────────────────────────────────────────────────────────────┘
 *
 * The service (the kit's peer-service --udp) answers each datagram with
 * `PEER <address> <port>\n` and the payload: the client addresses in the
 * headers are documentation ranges that exist nowhere, so seeing them proves
 * the spoofing path, and a reply reaching the sender proves the way back.
 */
import assert from 'node:assert/strict';

import type { DataPlaneConfig } from '../../../src/native/dataplane-types.js';
import type { FlowRecord } from '../../../src/base/flows.js';
import { DataPlaneDriver, dataPlaneConfig, eventually } from '../dataplane/harness/driver.js';
import { type Client, parsePeerReply, proxied, sendDatagrams, v1Datagram } from '../dataplane/harness/udp.js';
import { assertNoLeaks, type Host, Lab, startPeerService } from '../../../lab/index.js';
import { printLabLogOnFailure, requireNetns } from '../support/index.js';

function udpConfig(port: number, overrides: Partial<DataPlaneConfig> = {}): DataPlaneConfig {
  return dataPlaneConfig({
    protocol: 'udp',
    listen: { family: 6, address: '::', port },
    target4: { family: 4, address: '127.0.0.1', port: 7100 },
    target6: { family: 6, address: '::1', port: 7100 },
    closeAfterSeconds: 60,
    ...overrides,
  });
}

function flowOf(flows: FlowRecord[], client: Client): FlowRecord | undefined {
  return flows.find((flow) => flow.client?.address === client.address && flow.client.port === client.port);
}

describe('UDP data plane: sessions in one namespace', function () {
  this.timeout(60_000);
  let lab: Lab;
  let app: Host;
  let plane: DataPlaneDriver;

  before(async function () {
    requireNetns(this);
    lab = Lab.create('udp');
    app = await lab.host('app');
    await app.addLoopbackRouting();
    await startPeerService(app, '127.0.0.1:7100', { udp: true });
    await startPeerService(app, '[::1]:7100', { udp: true });
    plane = await DataPlaneDriver.start(app, udpConfig(8100, { debugEvents: true }));
  });
  afterEach(function () {
    printLabLogOnFailure(this, lab);
  });
  after(async function () {
    if (!lab) return;
    await lab.destroy();
    await assertNoLeaks(lab);
  });

  for (const family of [4, 6] as const) {
    const lb = family === 4 ? '127.0.0.1' : '::1';
    const clients: Client[] =
      family === 4
        ? [
            { address: '192.0.2.10', port: 4000 },
            { address: '192.0.2.11', port: 4001 },
            { address: '198.51.100.7', port: 5000 },
          ]
        : [
            { address: '2001:db8::10', port: 4000 },
            { address: '2001:db8::11', port: 4001 },
            { address: '2001:db8:1::7', port: 5000 },
          ];

    it(`IPv${family}: the service sees each client's address and port, and every reply reaches the load balancer`, async function () {
      const datagrams = clients.flatMap((client, i) => [proxied(client, `first ${i}`), proxied(client, `second ${i}`)]);
      const to = family === 4 ? '127.0.0.1:8100' : '[::1]:8100';
      const result = await sendDatagrams(app, { from: lb, to, datagrams, expect: datagrams.length });
      assert.equal(result.replies.length, datagrams.length, JSON.stringify(result.replies));
      const seen = result.replies.map((reply) => {
        assert.equal(reply.port, 8100, 'replies come from the data plane listener');
        const parsed = parsePeerReply(reply.text);
        assert.ok(parsed, `a PEER reply, got ${JSON.stringify(reply.text)}`);
        return `${parsed.address} ${parsed.port} ${parsed.payload}`;
      });
      const expected = clients.flatMap((client, i) => [
        `${client.address} ${client.port} first ${i}`,
        `${client.address} ${client.port} second ${i}`,
      ]);
      assert.deepEqual(seen.sort(), expected.sort());

      const flows = await plane.flows();
      for (const [i, client] of clients.entries()) {
        const flow = flowOf(flows, client);
        assert.ok(flow, `a flow for ${client.address}:${client.port}`);
        assert.equal(flow.protocol, 'udp');
        assert.equal(flow.state, 'established');
        assert.equal(flow.loadBalancer.address, lb);
        assert.equal(flow.loadBalancer.port, result.port);
        assert.equal(flow.target?.address, family === 4 ? '127.0.0.1' : '::1');
        assert.equal(flow.bytesToTarget, `first ${i}`.length + `second ${i}`.length);
        const replyBytes = (text: string) => `PEER ${client.address} ${client.port}\n${text}`.length;
        assert.equal(flow.bytesToClient, replyBytes(`first ${i}`) + replyBytes(`second ${i}`));
      }
    });
  }

  it('counts each client as one session: accepted and active', async function () {
    const counters = await plane.counters();
    assert.equal(counters.accepted, 6);
    assert.equal(counters.established, 6);
    assert.equal(counters.active, 6);
    assert.equal((await plane.flows()).length, 6);
  });

  it('drops v1, truncated and garbage datagrams with their codes, and keeps serving', async function () {
    const client = { address: '203.0.113.50', port: 6000 };
    const good = proxied(client, 'still here');
    const datagrams = [
      v1Datagram(client, 'v1 payload'),
      good.subarray(0, 20), // inside the v2 header's address block
      Buffer.from('GET / HTTP/1.0\r\n\r\n'),
      Buffer.alloc(0),
      good,
    ];
    const result = await sendDatagrams(app, { from: '127.0.0.1', to: '127.0.0.1:8100', datagrams, expect: 1 });
    assert.equal(result.replies.length, 1);
    assert.equal(parsePeerReply(result.replies[0]?.text ?? '')?.payload, 'still here');
    const counters = await plane.counters();
    assert.equal(counters.badHeaders.ERR_V1_OVER_UDP, 1);
    assert.equal(counters.badHeaders.ERR_NOT_PROXY_PROTOCOL, 1);
    assert.equal(
      counters.badHeaders.ERR_HEADER_TRUNCATED,
      2,
      `the cut header and the empty datagram: ${JSON.stringify(counters)}`,
    );
    assert.equal(counters.failures.bad_header, 4);
    const events = await eventually('bad_header events', () => {
      const found = plane.events().filter((event) => event.kind === 'bad_header');
      return found.length === 4 ? found : undefined;
    });
    assert.ok(events.some((event) => event.code === 'ERR_V1_OVER_UDP' && /v2/.test(event.message)));
  });

  it('close() ends every session and leaves no descriptor open', async function () {
    const { fdsBefore, fdsAfter } = await plane.close();
    assert.equal(fdsAfter, fdsBefore, 'descriptors after close() equal those before start()');
  });
});

describe('UDP data plane: expiry and the session cap', function () {
  this.timeout(60_000);
  let lab: Lab;
  let app: Host;

  before(async function () {
    requireNetns(this);
    lab = Lab.create('udplim');
    app = await lab.host('app');
    await app.addLoopbackRouting();
    await startPeerService(app, '127.0.0.1:7100', { udp: true });
  });
  afterEach(function () {
    printLabLogOnFailure(this, lab);
  });
  after(async function () {
    if (!lab) return;
    await lab.destroy();
    await assertNoLeaks(lab);
  });

  it('a session closes after closeAfterSeconds without traffic', async function () {
    const plane = await DataPlaneDriver.start(app, udpConfig(8101, { closeAfterSeconds: 1, debugEvents: true }));
    const client = { address: '192.0.2.20', port: 4100 };
    const result = await sendDatagrams(app, {
      from: '127.0.0.1',
      to: '127.0.0.1:8101',
      datagrams: [proxied(client, 'x')],
      expect: 1,
    });
    assert.equal(result.replies.length, 1);
    await eventually('the session to expire', async () => ((await plane.counters()).active === 0 ? true : undefined));
    assert.deepEqual(await plane.flows(), []);
    const counters = await plane.counters();
    assert.equal(counters.accepted, 1);
    assert.equal(counters.completed, 1);
    const closed = await plane.waitForEvent('flow_closed');
    assert.equal(closed.client?.address, client.address);
    assert.equal(closed.bytesToTarget, 1);
    const { fdsBefore, fdsAfter } = await plane.close();
    assert.equal(fdsAfter, fdsBefore);
  });

  it('at maxSessions the longest-idle session makes room for a new one', async function () {
    const plane = await DataPlaneDriver.start(app, udpConfig(8102, { maxSessions: 2, listeners: 1 }));
    const [a, b, c] = [
      { address: '192.0.2.31', port: 4201 },
      { address: '192.0.2.32', port: 4202 },
      { address: '192.0.2.33', port: 4203 },
    ];
    // One load balancer socket, each datagram sent after the previous reply, so
    // activity is ordered: a, b, then a again; b is the longest idle when c comes.
    const order = [a, b, a, c];
    const datagrams = order.map((client, i) => proxied(client, `datagram ${i}`));
    const result = await sendDatagrams(app, {
      from: '127.0.0.1',
      to: '127.0.0.1:8102',
      datagrams,
      expect: 4,
      lockstep: true,
    });
    assert.deepEqual(
      result.replies.map((reply) => parsePeerReply(reply.text)?.address),
      order.map((client) => client.address),
    );
    const counters = await plane.counters();
    assert.equal(counters.sessionsEvicted, 1);
    assert.equal(counters.active, 2);
    const clients = (await plane.flows()).map((flow) => flow.client?.address).sort();
    assert.deepEqual(clients, [a.address, c.address]);
    const { fdsBefore, fdsAfter } = await plane.close();
    assert.equal(fdsAfter, fdsBefore);
  });
});
