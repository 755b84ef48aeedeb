/*
 * Address collisions: two load balancers present the same client address and
 * port for the same target, so the second upstream socket wants a 4-tuple
 * that a live one already holds. TCP: the kernel refuses the second connect()
 * (EADDRNOTAVAIL). UDP: the kernel lets a second SO_REUSEADDR socket bind and
 * connect the same 4-tuple and then hands every reply to only one of them, so
 * the data plane has to notice by itself.
 *
 *   ┌── app (lo: loopback routing, table 123) ─────────────────────────────────────────────────────┐
 *   │ load balancer A 127.0.0.2 / 2001:db8:1b::2 ─┐ the same header:                               │
 *   │                                             ├─▶ data plane :85xx ─spoofed─▶ service :7400    │
 *   │ load balancer B 127.0.0.3 / 2001:db8:1b::3 ─┘ client 198.51.100.30:431xx   (TCP echo,        │
 *   │                                               or [2001:db8::30]:431xx      UDP :7401 PEER)   │
 *   └──────────────────────────────────────────────────────────────────────────────────────────────┘
 *
 * Refused (the default): the second flow is reset and counted as
 * address_in_use, the first goes on byte for byte. `collision: 'ephemeral-port'`:
 * the second connects from the client's address with a port the kernel picks,
 * so the app sees the same client address on both flows, with two ports.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { DataPlaneConfig } from '../../../src/native/dataplane-types.js';
import type { Endpoint } from '../../../src/base/net/endpoint.js';
import { DataPlaneDriver, dataPlaneConfig, eventually } from '../dataplane/harness/driver.js';
import { v2 } from '../dataplane/harness/headers.js';
import { runClient, startClient, StreamService } from '../dataplane/harness/peers.js';
import { parsePeerReply, proxied, sendDatagrams } from '../dataplane/harness/udp.js';
import { assertNoLeaks, type Host, Lab, payload, sha256, startPeerService } from '../../../lab/index.js';
import { printLabLogOnFailure, requireNetns } from '../support/index.js';

const TCP_SERVICE = 7400;
const UDP_SERVICE = 7401;
/**
 * Each test has a client port of its own: a flow that mmproxy closed first
 * leaves its 4-tuple in TIME_WAIT, where the next flow from the same client
 * address:port would collide with it.
 */
let clientPort = 43100;
/** Sent in 64 slices 50 ms apart; the FIN then waits for the test to release the flow. */
const HELD_BYTES = 256 * 1024;

const FAMILIES = {
  4: {
    client: '198.51.100.30',
    lbA: '127.0.0.2',
    lbB: '127.0.0.3',
    any: '0.0.0.0',
    listen: (port: number) => `127.0.0.1:${port}`,
  },
  6: {
    client: '2001:db8::30',
    lbA: '2001:db8:1b::2',
    lbB: '2001:db8:1b::3',
    any: '::',
    listen: (port: number) => `[::1]:${port}`,
  },
} as const;

function config(family: 4 | 6, port: number, overrides: Partial<DataPlaneConfig> = {}): DataPlaneConfig {
  return dataPlaneConfig({
    listen: { family, address: FAMILIES[family].any, port },
    target4: { family: 4, address: '127.0.0.1', port: TCP_SERVICE },
    target6: { family: 6, address: '::1', port: TCP_SERVICE },
    ...overrides,
  });
}

function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

function header(family: 4 | 6, sourcePort: number): Buffer {
  const destination = family === 4 ? '192.0.2.10' : '2001:db8::10';
  return v2({ source: FAMILIES[family].client, sourcePort, destination, destinationPort: 443 });
}

describe('hardening: address collisions (two load balancers, one client address:port, one target)', function () {
  this.timeout(60_000);
  let lab: Lab;
  let app: Host;
  const services = new Map<4 | 6, StreamService>();
  /** Release files of the held flows. */
  let dir = '';

  before(async function () {
    requireNetns(this);
    lab = Lab.create('collide');
    app = await lab.host('app');
    await app.addLoopbackRouting();
    // 127.0.0.0/8 is all local already; the IPv6 load balancers need addresses of their own.
    await app.ip(['-6', 'addr', 'add', '2001:db8:1b::2/128', 'dev', 'lo']);
    await app.ip(['-6', 'addr', 'add', '2001:db8:1b::3/128', 'dev', 'lo']);
    services.set(4, await StreamService.start(app, `127.0.0.1:${TCP_SERVICE}`));
    services.set(6, await StreamService.start(app, `[::1]:${TCP_SERVICE}`));
    await startPeerService(app, `127.0.0.1:${UDP_SERVICE}`, { udp: true });
    await startPeerService(app, `[::1]:${UDP_SERVICE}`, { udp: true });
    dir = await mkdtemp(join(tmpdir(), 'mmproxy-collide-'));
  });
  beforeEach(function () {
    clientPort++;
  });
  afterEach(function () {
    printLabLogOnFailure(this, lab);
  });
  after(async function () {
    if (dir) await rm(dir, { recursive: true, force: true });
    if (!lab) return;
    await lab.destroy();
    await assertNoLeaks(lab);
  });

  /** Starts load balancer A's flow, held open until released, and waits until the data plane has connected it. */
  async function holdFirstFlow(plane: DataPlaneDriver, family: 4 | 6, port: number) {
    const { lbA, listen } = FAMILIES[family];
    const releaseFile = join(dir, `release-${clientPort}`);
    const first = startClient(app, {
      connect: listen(port),
      header: header(family, clientPort),
      mode: 'hold',
      sendBytes: HELD_BYTES,
      bind: lbA,
      releaseFile,
    });
    await eventually('the first flow to be established', async () =>
      (await plane.flows()).find((flow) => flow.state === 'established' && flow.client?.port === clientPort),
    );
    return { first, release: () => writeFile(releaseFile, '') };
  }

  /** Released, the held flow runs to its end with every byte both ways, and the app saw the client's own port on it. */
  async function assertFirstFlowIntact(held: Awaited<ReturnType<typeof holdFirstFlow>>, family: 4 | 6): Promise<void> {
    await held.release();
    const { first } = held;
    const [line] = await first.waitForOutput(/^\{"ended".*$/m, 30_000);
    const result = JSON.parse(line) as { ended: string; peer: Endpoint | null; receivedSha256: string };
    assert.equal(result.ended, 'eof');
    assert.deepEqual(result.peer, { address: FAMILIES[family].client, port: clientPort });
    assert.equal(result.receivedSha256, sha256(payload(HELD_BYTES)), 'the echo of the first flow is intact');
    const done = await eventually('the service to finish the first flow', () =>
      services
        .get(family)
        ?.done()
        .find(
          (d) =>
            d.peer.address === FAMILIES[family].client && d.peer.port === clientPort && d.receivedBytes === HELD_BYTES,
        ),
    );
    assert.equal(done.receivedSha256, sha256(payload(HELD_BYTES)));
  }

  async function closeAtBaseline(plane: DataPlaneDriver, baseline: number): Promise<void> {
    await eventually('descriptors back to the baseline', async () =>
      (await plane.command<number>('fds')) === baseline ? true : undefined,
    );
    assert.equal((await plane.counters()).active, 0);
    const { fdsBefore, fdsAfter } = await plane.close();
    assert.equal(fdsAfter, fdsBefore, 'descriptors after close() equal those before start()');
  }

  for (const family of [4, 6] as const) {
    const { client, lbB, listen } = FAMILIES[family];
    const target =
      family === 4
        ? { family: 4, address: '127.0.0.1', port: TCP_SERVICE }
        : { family: 6, address: '::1', port: TCP_SERVICE };

    it(`TCP over IPv${family}, refused by default: the second load balancer is reset, address_in_use is counted, the first flow is untouched`, async function () {
      const port = 8500 + family;
      const plane = await DataPlaneDriver.start(app, config(family, port));
      const baseline = await plane.command<number>('fds');
      const held = await holdFirstFlow(plane, family, port);

      const second = await runClient(app, {
        connect: listen(port),
        header: header(family, clientPort),
        sendBytes: 1000,
        bind: lbB,
        timeoutMs: 10_000,
      });
      assert.equal(second.ended, 'ECONNRESET', 'the second load balancer sees a reset, never a clean empty reply');
      assert.equal(second.peer, null);
      const event = await plane.waitForEvent('address_in_use');
      assert.equal(event.level, 'error');
      assert.equal(event.code, 'EADDRNOTAVAIL');
      assert.deepEqual(event.client, { family, address: client, port: clientPort });
      assert.deepEqual(event.target, target);
      assert.equal(event.loadBalancer?.address, lbB);
      assert.ok(
        event.message.startsWith(`client address ${hostPort(client, clientPort)} is taken for `),
        event.message,
      );
      assert.match(event.message, /--collision ephemeral-port/);

      await assertFirstFlowIntact(held, family);
      const counters = await plane.counters();
      assert.equal(counters.failures.address_in_use, 1);
      assert.equal(counters.collisionFallbacks, 0);
      assert.equal(counters.accepted, 2);
      assert.equal(counters.established, 1);
      assert.equal(counters.completed, 1);
      await closeAtBaseline(plane, baseline);
    });

    it(`TCP over IPv${family}, collision 'ephemeral-port': both flows reach the app from the client's address, the second from another port`, async function () {
      const port = 8510 + family;
      const plane = await DataPlaneDriver.start(app, config(family, port, { collision: 'ephemeral-port' }));
      const baseline = await plane.command<number>('fds');
      const held = await holdFirstFlow(plane, family, port);

      const second = await runClient(app, {
        connect: listen(port),
        header: header(family, clientPort),
        sendBytes: 5000,
        bind: lbB,
      });
      assert.equal(second.ended, 'eof');
      assert.equal(second.peer?.address, client, "the app sees the client's address");
      assert.notEqual(second.peer?.port, clientPort, 'from a port other than the one in the header');
      assert.equal(second.receivedSha256, sha256(payload(5000)));
      const event = await plane.waitForEvent('collision_fallback');
      assert.equal(event.level, 'warn');
      assert.deepEqual(event.client, { family, address: client, port: clientPort });
      assert.equal(event.loadBalancer?.address, lbB);
      assert.match(event.message, new RegExp(`from port ${second.peer?.port} instead`));

      await assertFirstFlowIntact(held, family);
      const counters = await plane.counters();
      assert.equal(counters.collisionFallbacks, 1);
      assert.equal(counters.failures.address_in_use, 0);
      assert.equal(counters.established, 2);
      assert.equal(counters.completed, 2);
      await closeAtBaseline(plane, baseline);
    });
  }

  it("TCP: a client port that a local socket listens on for every address (here mmproxy's own) collides at bind(); ephemeral-port gets it through", async function () {
    const port = 8540;
    const sameAsListener = v2({
      source: FAMILIES[4].client,
      sourcePort: port,
      destination: '192.0.2.10',
      destinationPort: 443,
    });
    const refusing = await DataPlaneDriver.start(app, config(4, port));
    const refused = await runClient(app, {
      connect: `127.0.0.1:${port}`,
      header: sameAsListener,
      sendBytes: 100,
      timeoutMs: 10_000,
    });
    assert.equal(refused.ended, 'ECONNRESET');
    const event = await refusing.waitForEvent('address_in_use');
    assert.equal(event.code, 'EADDRINUSE');
    assert.match(event.message, /a local socket holds that port \(bind: Address already in use\)/);
    await refusing.close();

    const falling = await DataPlaneDriver.start(app, config(4, port, { collision: 'ephemeral-port' }));
    const through = await runClient(app, { connect: `127.0.0.1:${port}`, header: sameAsListener, sendBytes: 100 });
    assert.equal(through.peer?.address, FAMILIES[4].client);
    assert.notEqual(through.peer?.port, port);
    assert.equal(through.receivedSha256, sha256(payload(100)));
    assert.equal((await falling.counters()).collisionFallbacks, 1);
    await falling.close();
  });

  for (const family of [4, 6] as const) {
    const { client, lbA, lbB } = FAMILIES[family];
    const udpConfig = (port: number, overrides: Partial<DataPlaneConfig> = {}): DataPlaneConfig =>
      config(family, port, {
        protocol: 'udp',
        target4: { family: 4, address: '127.0.0.1', port: UDP_SERVICE },
        target6: { family: 6, address: '::1', port: UDP_SERVICE },
        closeAfterSeconds: 60,
        ...overrides,
      });
    const datagram = (text: string): Buffer => proxied({ address: client, port: clientPort }, text);
    /** One datagram from a load balancer at a fixed port (the same port again is the same session). */
    const send = (port: number, from: string, fromPort: number, text: string, expect: number) =>
      sendDatagrams(app, { from, fromPort, to: FAMILIES[family].listen(port), datagrams: [datagram(text)], expect });
    const peerOf = (result: Awaited<ReturnType<typeof send>>) => {
      assert.equal(result.replies.length, 1, JSON.stringify(result.replies));
      const reply = parsePeerReply(result.replies[0]?.text ?? '');
      assert.ok(reply, `a PEER reply, got ${JSON.stringify(result.replies)}`);
      return reply;
    };

    it(`UDP over IPv${family}, refused by default: the second load balancer's session is not opened, the first keeps its replies`, async function () {
      const port = 8520 + family;
      const plane = await DataPlaneDriver.start(app, udpConfig(port));
      const baseline = await plane.command<number>('fds');
      assert.deepEqual(peerOf(await send(port, lbA, 6001, 'a1', 1)), {
        address: client,
        port: clientPort,
        payload: 'a1',
      });

      await send(port, lbB, 6001, 'b1', 0);
      const event = await plane.waitForEvent('address_in_use');
      assert.equal(event.level, 'error');
      assert.equal(event.code, 'EADDRINUSE');
      assert.deepEqual(event.client, { family, address: client, port: clientPort });
      assert.equal(event.loadBalancer?.address, lbB);
      assert.match(event.message, /--collision ephemeral-port/);
      // With a second socket on the same 4-tuple the kernel would hand A's replies to it.
      assert.deepEqual(peerOf(await send(port, lbA, 6001, 'a2', 1)), {
        address: client,
        port: clientPort,
        payload: 'a2',
      });

      const counters = await plane.counters();
      assert.equal(counters.failures.address_in_use, 1);
      assert.equal(counters.collisionFallbacks, 0);
      assert.equal(counters.established, 1);
      assert.equal(counters.active, 1);
      assert.equal(counters.bytesToTarget, 'a1a2'.length, "load balancer B's datagram went nowhere");
      assert.equal(
        await plane.command<number>('fds'),
        baseline + 1,
        "one socket, A's session: none left by the refusal",
      );
      const { fdsBefore, fdsAfter } = await plane.close();
      assert.equal(fdsAfter, fdsBefore);
    });

    it(`UDP over IPv${family}, collision 'ephemeral-port': both sessions work, the second from the client's address with another port`, async function () {
      const port = 8530 + family;
      const plane = await DataPlaneDriver.start(app, udpConfig(port, { collision: 'ephemeral-port' }));
      const baseline = await plane.command<number>('fds');
      assert.deepEqual(peerOf(await send(port, lbA, 6101, 'a1', 1)), {
        address: client,
        port: clientPort,
        payload: 'a1',
      });
      const b1 = peerOf(await send(port, lbB, 6101, 'b1', 1));
      assert.equal(b1.address, client);
      assert.notEqual(b1.port, clientPort);
      assert.equal(b1.payload, 'b1');
      const event = await plane.waitForEvent('collision_fallback');
      assert.equal(event.loadBalancer?.address, lbB);
      assert.match(event.message, new RegExp(`from port ${b1.port} instead`));
      // Each session keeps its own socket and its own replies.
      assert.deepEqual(peerOf(await send(port, lbA, 6101, 'a2', 1)), {
        address: client,
        port: clientPort,
        payload: 'a2',
      });
      assert.deepEqual(peerOf(await send(port, lbB, 6101, 'b2', 1)), { address: client, port: b1.port, payload: 'b2' });

      const counters = await plane.counters();
      assert.equal(counters.collisionFallbacks, 1);
      assert.equal(counters.failures.address_in_use, 0);
      assert.equal(counters.established, 2);
      assert.equal(counters.active, 2);
      assert.equal(
        await plane.command<number>('fds'),
        baseline + 2,
        'one socket per session, none left by the first attempt',
      );
      const { fdsBefore, fdsAfter } = await plane.close();
      assert.equal(fdsAfter, fdsBefore);
    });
  }
});
