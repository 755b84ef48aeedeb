/*
 * --udp-header every | first | spp | auto, for real, over IPv4 and IPv6, in one namespace with loopback routing.
 *
 *   ┌── app (lo: 127.0.0.1, ::1; ip rule from 127.0.0.1/8 / ::1 iif lo → table 123: local) ───────────────┐
 *   │  udp-sender ──header + payload, or bare──▶ data plane [::]:8120 every ──spoofed client──▶ service  │
 *   │  (the load balancer:                        data plane [::]:8121 first    (one per mode)   :7100    │
 *   │   127.0.0.1 / ::1)  ◀──reply (SPP: header ─ data plane [::]:8122 spp                                 │
 *   │                        + payload)          data plane [::]:8123 auto                                │
 *   └───────────────────────────────────────────────────────────────────────────────────────────────────────┘
 *
 * The headers are built byte by byte from the specs in lab/services/udp-headers.ts, not with the project's
 * encoder: a misreading shared by the encoder and the data plane would pass a round trip. The service answers `PEER <address> <port>\n<payload>`, so each reply
 * says which client the target saw; the clients are documentation addresses that exist nowhere.
 */
import assert from 'node:assert/strict';

import type { DataPlaneConfig } from '../../../src/native/dataplane-types.js';
import type { UdpHeaderMode } from '../../../src/base/flows.js';
import type { SenderResult } from '../../../lab/services/udp-sender.js';
import { DataPlaneDriver, dataPlaneConfig, eventually } from '../dataplane/harness/driver.js';
import { type Client, parsePeerReply, sendDatagrams } from '../dataplane/harness/udp.js';
import type { Host } from '../../../lab/index.js';
import { sppHeader, v2DgramHeader as v2Header } from '../../../lab/services/udp-headers.js';
import { useLoopbackApp } from './helpers/loopback-app.js';

const text = (payload: string) => Buffer.from(payload);

/** What the service saw for each reply, as `address port payload`, sorted. */
function seen(result: SenderResult, headerBytes = 0): string[] {
  return result.replies
    .map((reply) => {
      const body = Buffer.from(reply.hex, 'hex').subarray(headerBytes).toString();
      const parsed = parsePeerReply(body);
      assert.ok(parsed, `a PEER reply, got ${JSON.stringify(body)}`);
      return `${parsed.address} ${parsed.port} ${parsed.payload}`;
    })
    .sort();
}

const PORTS: Record<UdpHeaderMode, number> = { every: 8120, first: 8121, spp: 8122, auto: 8123 };

function modeConfig(mode: UdpHeaderMode, overrides: Partial<DataPlaneConfig> = {}): DataPlaneConfig {
  return dataPlaneConfig({
    protocol: 'udp',
    listen: { family: 6, address: '::', port: PORTS[mode] },
    target4: { family: 4, address: '127.0.0.1', port: 7100 },
    target6: { family: 6, address: '::1', port: 7100 },
    closeAfterSeconds: 60,
    udpHeader: mode,
    ...overrides,
  });
}

describe('UDP header modes: every, first, spp and auto, each over IPv4 and IPv6', function () {
  this.timeout(90_000);
  const net = useLoopbackApp('udpmodes');
  let app: Host;
  const planes = {} as Record<UdpHeaderMode, DataPlaneDriver>;

  before(async function () {
    app = net().app;
    for (const mode of ['every', 'first', 'spp', 'auto'] as const) {
      planes[mode] = await DataPlaneDriver.start(app, modeConfig(mode, { listeners: 2 }));
    }
  });

  for (const family of [4, 6] as const) {
    const lb = family === 4 ? '127.0.0.1' : '::1';
    const to = (mode: UdpHeaderMode) => (family === 4 ? `127.0.0.1:${PORTS[mode]}` : `[::1]:${PORTS[mode]}`);
    const client = (n: number): Client =>
      family === 4 ? { address: `192.0.2.${n}`, port: 4000 + n } : { address: `2001:db8::${n}`, port: 4000 + n };
    const destination: Client =
      family === 4 ? { address: '203.0.113.1', port: 7000 } : { address: '2001:db8::ff', port: 7000 };

    it(`IPv${family} every: a header on each datagram, several clients from one load balancer port`, async function () {
      const [a, b] = [client(10), client(11)];
      const datagrams = [a, b, a, b].map((c, i) => Buffer.concat([v2Header(c, destination), text(`every ${i}`)]));
      const result = await sendDatagrams(app, { from: lb, to: to('every'), datagrams, expect: 4 });
      assert.deepEqual(seen(result), [
        `${a.address} ${a.port} every 0`,
        `${a.address} ${a.port} every 2`,
        `${b.address} ${b.port} every 1`,
        `${b.address} ${b.port} every 3`,
      ]);
      assert.ok(result.replies.every((reply) => reply.port === PORTS.every && reply.text.startsWith('PEER ')));
    });

    it(`IPv${family} first: the first datagram's client for the bare ones after it, header-only or not`, async function () {
      const [a, b] = [client(20), client(21)];
      // frp's way: the header with the first payload; then bare datagrams.
      const withPayload = await sendDatagrams(app, {
        from: lb,
        to: to('first'),
        datagrams: [Buffer.concat([v2Header(a, destination), text('one')]), text('two'), text('three')],
        expect: 3,
      });
      assert.deepEqual(seen(withPayload), [
        `${a.address} ${a.port} one`,
        `${a.address} ${a.port} three`,
        `${a.address} ${a.port} two`,
      ]);
      // Cloudflare Spectrum's way: the header alone (nothing reaches the target for it), then bare datagrams;
      // a header repeated for the same client is taken off.
      const headerAlone = await sendDatagrams(app, {
        from: lb,
        to: to('first'),
        datagrams: [v2Header(b, destination), text('alpha'), Buffer.concat([v2Header(b, destination), text('beta')])],
        expect: 2,
      });
      assert.deepEqual(seen(headerAlone), [`${b.address} ${b.port} alpha`, `${b.address} ${b.port} beta`]);
      const flows = await planes.first.flows();
      for (const [c, port] of [
        [a, withPayload.port],
        [b, headerAlone.port],
      ] as const) {
        const flow = flows.find((f) => f.client?.address === c.address);
        assert.ok(flow, `a session for ${c.address}`);
        assert.equal(flow.loadBalancer.port, port, 'one session per load balancer address:port');
      }
    });

    it(`IPv${family} first: bare datagrams before the header are counted and dropped, never sent as the load balancer`, async function () {
      const before = await planes.first.counters();
      const c = client(30);
      const result = await sendDatagrams(app, {
        from: lb,
        to: to('first'),
        // The header's datagram lost, or overtaken: the two bare ones cannot be anyone's.
        datagrams: [
          text('early 1'),
          text('early 2'),
          Buffer.concat([v2Header(c, destination), text('late')]),
          text('after'),
        ],
        expect: 2,
      });
      assert.deepEqual(seen(result), [`${c.address} ${c.port} after`, `${c.address} ${c.port} late`]);
      const after = await planes.first.counters();
      assert.equal(
        (after.badHeaders.ERR_HEADERLESS_NO_SESSION ?? 0) - (before.badHeaders.ERR_HEADERLESS_NO_SESSION ?? 0),
        2,
      );
      assert.equal(after.udpHeaders.headerlessDropped - before.udpHeaders.headerlessDropped, 2);
      assert.equal(after.failures.bad_header - before.failures.bad_header, 2);
      const flows = await planes.first.flows();
      assert.ok(!flows.some((flow) => flow.client === null), 'no session from the load balancer itself');
    });

    it(`IPv${family} first: a header naming another client mid-flow is refused, and so is the rest of that flow`, async function () {
      const before = await planes.first.counters();
      const [owner, forged] = [client(40), client(41)];
      // One load balancer port for both sends: the same flow.
      const fromPort = 5000 + family;
      const result = await sendDatagrams(app, {
        from: lb,
        fromPort,
        to: to('first'),
        datagrams: [Buffer.concat([v2Header(owner, destination), text('mine')])],
        expect: 1,
      });
      assert.deepEqual(seen(result), [`${owner.address} ${owner.port} mine`]);
      // The refusal closes the session at once: a reply still on its way to it would be lost.
      await sendDatagrams(app, {
        from: lb,
        fromPort,
        to: to('first'),
        datagrams: [Buffer.concat([v2Header(forged, destination), text('forged')]), text('later')],
        expect: 0,
      });
      const after = await eventually('both refusals counted', async () => {
        const counters = await planes.first.counters();
        const refused = (counters.badHeaders.ERR_HEADER_CHANGED ?? 0) - (before.badHeaders.ERR_HEADER_CHANGED ?? 0);
        return refused === 2 ? counters : undefined;
      });
      assert.equal(after.udpHeaders.headerChanges - before.udpHeaders.headerChanges, 1);
      const flows = await planes.first.flows();
      assert.ok(!flows.some((f) => f.loadBalancer.port === result.port), "the flow's session is closed");
      const event = planes.first
        .events()
        .find((e) => e.code === 'ERR_HEADER_CHANGED' && e.client?.address === owner.address);
      assert.ok(event, 'an event names the first client');
      assert.match(event.message, new RegExp(`names client .*${forged.port}`));
    });

    it(`IPv${family} spp: an SPP header on each datagram, and each reply carries the client's SPP header`, async function () {
      const [a, b] = [client(50), client(51)];
      const headers = [sppHeader(a, destination), sppHeader(b, destination)];
      const datagrams = headers.flatMap((header, i) => [
        Buffer.concat([header, text(`spp ${i}a`)]),
        Buffer.concat([header, text(`spp ${i}b`)]),
      ]);
      const result = await sendDatagrams(app, { from: lb, to: to('spp'), datagrams, expect: 4 });
      assert.deepEqual(seen(result, 38), [
        `${a.address} ${a.port} spp 0a`,
        `${a.address} ${a.port} spp 0b`,
        `${b.address} ${b.port} spp 1a`,
        `${b.address} ${b.port} spp 1b`,
      ]);
      for (const reply of result.replies) {
        const bytes = Buffer.from(reply.hex, 'hex');
        const expected = bytes.subarray(38).toString().includes(` ${a.port}\n`) ? headers[0] : headers[1];
        assert.deepEqual(bytes.subarray(0, 38), expected, 'the reply starts with the header its client sent');
      }
    });

    it(`IPv${family} auto: PROXY v2 and SPP told apart per datagram; a bare datagram is refused`, async function () {
      const [a, b] = [client(60), client(61)];
      const spp = sppHeader(b, destination);
      const result = await sendDatagrams(app, {
        from: lb,
        to: to('auto'),
        datagrams: [
          Buffer.concat([v2Header(a, destination), text('by v2')]),
          Buffer.concat([spp, text('by spp')]),
          text('bare'),
        ],
        expect: 2,
        timeoutMs: 3_000,
      });
      assert.equal(result.replies.length, 2);
      const v2Reply = result.replies.find((reply) => reply.text.startsWith('PEER '));
      const sppReply = result.replies.find((reply) => reply.hex.startsWith('56ec'));
      assert.equal(parsePeerReply(v2Reply?.text ?? '')?.address, a.address, 'the v2 reply is bare');
      assert.deepEqual(Buffer.from(sppReply?.hex ?? '', 'hex').subarray(0, 38), spp, 'the SPP reply has its header');
    });
  }

  it('counts what each mode saw: datagrams by header, SPP sessions, and the refusals by code', async function () {
    const every = await planes.every.counters();
    assert.deepEqual(every.udpHeaders.datagrams, { proxyV2: 8, spp: 0, bare: 0 });
    const first = await planes.first.counters();
    // Per family: 1 + 2 (frp's way and Spectrum's), 1 after the lost header, 1 before the change.
    assert.deepEqual(first.udpHeaders.datagrams, { proxyV2: 2 * 5, spp: 0, bare: 2 * 4 });
    assert.equal(first.udpHeaders.headerlessDropped, 4);
    assert.equal(first.udpHeaders.headerChanges, 2);
    const spp = await planes.spp.counters();
    assert.deepEqual(spp.udpHeaders.datagrams, { proxyV2: 0, spp: 8, bare: 0 });
    assert.equal(spp.udpHeaders.sppSessions, 4);
    const auto = await eventually('the bare datagrams counted', async () => {
      const counters = await planes.auto.counters();
      return counters.badHeaders.ERR_NOT_PROXY_PROTOCOL === 2 ? counters : undefined;
    });
    assert.deepEqual(auto.udpHeaders.datagrams, { proxyV2: 2, spp: 2, bare: 0 });
    assert.equal(auto.udpHeaders.sppSessions, 2);
    assert.equal(auto.badHeaders.ERR_NOT_PROXY_PROTOCOL, 2);
  });

  it('spp refuses what is not SPP with ERR_NOT_SPP and a cut header with ERR_HEADER_TRUNCATED', async function () {
    const c = { address: '192.0.2.70', port: 4070 };
    const destination = { address: '203.0.113.1', port: 7000 };
    const good = Buffer.concat([sppHeader(c, destination), text('fine')]);
    const result = await sendDatagrams(app, {
      from: '127.0.0.1',
      to: `127.0.0.1:${PORTS.spp}`,
      datagrams: [Buffer.concat([v2Header(c, destination), text('v2')]), good.subarray(0, 30), text('plain'), good],
      expect: 1,
    });
    assert.deepEqual(seen(result, 38), [`${c.address} ${c.port} fine`]);
    const counters = await planes.spp.counters();
    assert.equal(counters.badHeaders.ERR_NOT_SPP, 2);
    assert.equal(counters.badHeaders.ERR_HEADER_TRUNCATED, 1);
    const event = await eventually('the ERR_NOT_SPP event for the v2 datagram', () =>
      planes.spp.events().find((e) => e.code === 'ERR_NOT_SPP' && /PROXY v2/.test(e.message)),
    );
    assert.match(event.message, /--udp-header every/);
  });

  it('close() of every plane leaves no descriptor open', async function () {
    for (const plane of Object.values(planes)) {
      const { fdsBefore, fdsAfter } = await plane.close();
      assert.equal(fdsAfter, fdsBefore);
    }
  });
});

describe('UDP header mode first: a refused flow is refused until it has been silent for --close-after', function () {
  this.timeout(30_000);
  const net = useLoopbackApp('udpfirst');

  it('after the silence, the next header from that load balancer port opens a session again', async function () {
    // Two seconds: the second send must come within them on a loaded machine.
    const quietMs = 2_000;
    const app = net().app;
    const plane = net().own(
      await DataPlaneDriver.start(app, modeConfig('first', { closeAfterSeconds: quietMs / 1000, listeners: 1 })),
    );
    const destination = { address: '203.0.113.1', port: 7000 };
    const [a, b] = [
      { address: '192.0.2.80', port: 4080 },
      { address: '192.0.2.81', port: 4081 },
    ];
    const send = (datagrams: Buffer[], expect: number, timeoutMs = 10_000) =>
      sendDatagrams(app, {
        from: '127.0.0.1',
        fromPort: 4999,
        to: `127.0.0.1:${PORTS.first}`,
        datagrams,
        expect,
        timeoutMs,
      });
    const opened = await send([Buffer.concat([v2Header(a, destination), text('a')])], 1);
    assert.deepEqual(seen(opened), [`${a.address} ${a.port} a`]);
    await send([v2Header(b, destination)], 0);
    await eventually('the change refused', async () =>
      (await plane.counters()).udpHeaders.headerChanges === 1 ? true : undefined,
    );
    // Within the quiet time: still refused, even with b's header (and the refusal starts over).
    const still = await send([Buffer.concat([v2Header(b, destination), text('too soon')])], 1, 500);
    assert.deepEqual(still.replies, []);
    // Silence, then b's header opens b's session.
    await new Promise((resolve) => setTimeout(resolve, quietMs + 500));
    const again = await send([Buffer.concat([v2Header(b, destination), text('b')])], 1);
    assert.deepEqual(seen(again), [`${b.address} ${b.port} b`]);
    const counters = await plane.counters();
    assert.equal(counters.udpHeaders.headerChanges, 1);
    assert.equal(counters.badHeaders.ERR_HEADER_CHANGED, 2);
    const { fdsBefore, fdsAfter } = await plane.close();
    assert.equal(fdsAfter, fdsBefore);
  });
});
