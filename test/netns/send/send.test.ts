/*
 * `mmproxy send`, the load balancer in one command, against the real proxy in one namespace with loopback routing.
 *
 *   ┌── app (lo: 127.0.0.1, ::1; ip rule from 127.0.0.1/8 / ::1 iif lo → table 123: local) ────────────────┐
 *   │  mmproxy send ──v1/v2 + data──▶ mmproxy -p tcp [::]:8200 ─────────spoofed client──▶ peer :7200 (TCP)  │
 *   │  (from 127.0.0.1 / ::1)  ──every──▶ mmproxy -p udp [::]:8210 ──┐                                        │
 *   │                          ──first──▶ mmproxy -p udp [::]:8211 ──┼─spoofed client──▶ peer :7100 (UDP)    │
 *   │                          ──spp────▶ mmproxy -p udp [::]:8212 ──┘                                        │
 *   └─────────────────────────────────────────────────────────────────────────────────────────────────────────┘
 *
 * The peer service answers `PEER <address> <port>\n` and then the payload, so stdout says which client the app
 * saw. The header bytes themselves are checked against the specs in test/unit (send, spp) and by the proxy's own
 * parser here; test/netns/udp/header-modes.test.ts feeds the proxy headers built by hand.
 */
import assert from 'node:assert/strict';

import { startPeerService, type Host } from '../../../lab/index.js';
import { MMPROXY_BIN, startMmproxy } from '../../../lab/mmproxy/mmproxy-process.js';
import { useLoopbackApp } from '../udp/helpers/loopback-app.js';

const TCP_PORT = 8200;
const UDP_PORTS = { every: 8210, first: 8211, spp: 8212 } as const;

describe('mmproxy send against the real proxy, TCP and UDP, IPv4 and IPv6', function () {
  this.timeout(60_000);
  const net = useLoopbackApp('send');
  let app: Host;

  before(async function () {
    app = net().app;
    await startPeerService(app, '127.0.0.1:7200');
    await startPeerService(app, '[::1]:7200');
    const targets = (port: number) => ['-4', `127.0.0.1:${port}`, '-6', `[::1]:${port}`];
    await startMmproxy(app, ['-l', `[::]:${TCP_PORT}`, ...targets(7200)]);
    for (const [mode, port] of Object.entries(UDP_PORTS)) {
      await startMmproxy(app, ['-p', 'udp', '-l', `[::]:${port}`, ...targets(7100), '--udp-header', mode]);
    }
  });

  const send = (args: string[]) => app.exec([process.execPath, MMPROXY_BIN, 'send', ...args], { timeoutMs: 20_000 });

  for (const family of [4, 6] as const) {
    const lb = family === 4 ? '127.0.0.1' : '::1';
    const to = (port: number) => (family === 4 ? `127.0.0.1:${port}` : `[::1]:${port}`);
    const client = family === 4 ? { address: '192.0.2.7', port: 5007 } : { address: '2001:db8::7', port: 5007 };
    const clientFlag = family === 4 ? `${client.address}:${client.port}` : `[${client.address}]:${client.port}`;
    const peerLine = `PEER ${client.address} ${client.port}\n`;

    for (const header of ['v1', 'v2'] as const) {
      it(`IPv${family} TCP ${header}: the app sees the header's client and echoes the payload`, async function () {
        const result = await send([to(TCP_PORT), '--header', header, '--client', clientFlag, '--data', 'hello']);
        assert.equal(result.code, 0, result.stderr);
        assert.equal(result.stdout, `${peerLine}hello`);
      });
    }

    it(`IPv${family} TCP --local: a health check's header (v2 LOCAL) is relayed, with no client to spoof`, async function () {
      const result = await send([to(TCP_PORT), '--local', '--data', 'ping']);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, new RegExp(`^PEER ${lb.replace(/[.]/g, '\\.')} \\d+\\nping$`));
    });

    it(`IPv${family} UDP every: three datagrams, each with its header, three replies to the client`, async function () {
      const result = await send([
        '-p',
        'udp',
        to(UDP_PORTS.every),
        '--client',
        clientFlag,
        '--count',
        '3',
        '--data',
        'e',
      ]);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, `${peerLine}e`.repeat(3));
    });

    it(`IPv${family} UDP first: the header on the first datagram only, the bare ones relayed as its client`, async function () {
      const result = await send([
        '-p',
        'udp',
        to(UDP_PORTS.first),
        '--header',
        'first',
        '--client',
        clientFlag,
        '--count',
        '3',
        '--data',
        'f',
      ]);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, `${peerLine}f`.repeat(3));
    });

    it(`IPv${family} UDP spp: SPP on each datagram; the replies' SPP headers are taken off`, async function () {
      const result = await send([
        '-p',
        'udp',
        to(UDP_PORTS.spp),
        '--header',
        'spp',
        '--client',
        clientFlag,
        '--count',
        '2',
        '--data',
        's',
      ]);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, `${peerLine}s`.repeat(2));
      assert.equal(result.stderr, '', 'every reply carried an SPP header');
    });
  }

  it('a header the proxy refuses: exit 1 and what to look at (a UDP mode the listener does not speak)', async function () {
    // A bare datagram to the `every` listener: dropped as headerless, nothing comes back.
    const result = await send([
      '-p',
      'udp',
      `127.0.0.1:${UDP_PORTS.every}`,
      '--header',
      'first',
      '--client',
      '192.0.2.8:5008',
      '--count',
      '2',
      '--wait',
      '1',
      '--data',
      'x',
    ]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /1 of 2 replies in 1s/);
  });

  it('nothing listening: exit 1 naming the address', async function () {
    const result = await send(['127.0.0.1:8299', '--client', '192.0.2.7:5007', '--data', 'x']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /nothing listens on 127\.0\.0\.1:8299: is mmproxy running with -l 127\.0\.0\.1:8299\?/);
  });
});
