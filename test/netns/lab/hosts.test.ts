/*
 * The kit's per-host helpers: static routes through a router, UDP, sysctls, loopback policy routing,
 * and bounded waits that fail with the process output.
 *
 *   ┌── client ───────────┐      ┌── router ─────────────────┐      ┌── server ───────────┐
 *   │ eth0 192.0.2.1/24   ├──────┤ eth0 192.0.2.254/24       │      │ eth0 198.51.100.1/24│
 *   │      2001:db8:1::1  │      │      2001:db8:1::ff       │      │      2001:db8:2::1  │
 *   │ default via router  │      │ eth1 198.51.100.254/24    ├──────┤ default via router  │
 *   └─────────────────────┘      │      2001:db8:2::ff       │      │ peer-service :7000  │
 *                                │ forwarding on             │      │ (TCP and UDP)       │
 *                                └───────────────────────────┘      └─────────────────────┘
 */
import assert from 'node:assert/strict';
import { assertNoLeaks, exchange, Host, Lab, payload, sha256, startPeerService } from '../../../lab/index.js';
import { printLabLogOnFailure, requireNetns } from '../support/index.js';

const PORT = 7000;

describe('netns kit: hosts, routes and waits', function () {
  let lab: Lab;
  let client: Host;
  let router: Host;
  let server: Host;

  before(async function () {
    requireNetns(this);
    lab = Lab.create('hosts');
    [client, router, server] = [await lab.host('client'), await lab.host('router'), await lab.host('server')];
    await lab.link(client, router, {
      a: { v4: '192.0.2.1/24', v6: '2001:db8:1::1/64' },
      b: { v4: '192.0.2.254/24', v6: '2001:db8:1::ff/64' },
    });
    await lab.link(router, server, {
      a: { v4: '198.51.100.254/24', v6: '2001:db8:2::ff/64' },
      b: { v4: '198.51.100.1/24', v6: '2001:db8:2::1/64' },
    });
    await router.sysctl('net.ipv4.ip_forward', 1);
    await router.sysctl('net.ipv6.conf.all.forwarding', 1);
    for (const [host, v4, v6] of [
      [client, '192.0.2.254', '2001:db8:1::ff'],
      [server, '198.51.100.254', '2001:db8:2::ff'],
    ] as const) {
      await lab.route(host, { to: 'default', via: v4 });
      await lab.route(host, { to: 'default', via: v6 });
    }
    await startPeerService(server, `0.0.0.0:${PORT}`);
    await startPeerService(server, `[2001:db8:2::1]:${PORT}`);
    await startPeerService(server, `198.51.100.1:${PORT}`, { udp: true });
    await server.waitForPort(PORT, { proto: 'udp' });
  });

  afterEach(function () {
    printLabLogOnFailure(this, lab);
  });

  after(async function () {
    if (!lab) return;
    await lab.destroy();
    await assertNoLeaks(lab);
  });

  for (const [family, target] of [
    ['IPv4', '198.51.100.1:7000'],
    ['IPv6', '[2001:db8:2::1]:7000'],
  ] as const) {
    it(`routes TCP across a router over ${family}, keeping the client's address`, async function () {
      const result = await exchange(client, { connect: target, sendBytes: 100_000, expectPeer: true });
      assert.equal(result.ok, true, result.error);
      assert.equal(result.peer?.address, family === 'IPv4' ? '192.0.2.1' : '2001:db8:1::1');
      assert.equal(result.receivedSha256, sha256(payload(100_000)));
    });
  }

  it('answers a UDP datagram with the PEER line and the payload', async function () {
    const result = await exchange(client, {
      connect: `198.51.100.1:${PORT}`,
      sendBytes: 1_000,
      expectPeer: true,
      udp: true,
    });
    assert.equal(result.ok, true, result.error);
    assert.deepEqual(result.peer, { address: '192.0.2.1', port: result.localPort });
    assert.equal(result.receivedSha256, sha256(payload(1_000)));
  });

  it('sets a sysctl inside the namespace only', async function () {
    const read = async (host: Host) => (await host.run(['cat', '/proc/sys/net/ipv4/ip_forward'])).stdout.trim();
    assert.equal(await read(router), '1');
    assert.equal(await read(client), '0');
  });

  it('adds and removes the four loopback routing commands inside the namespace', async function () {
    const tables = async () => {
      const rules = JSON.parse((await server.ip(['-j', 'rule', 'list'])).stdout) as { src?: string; table?: string }[];
      const rules6 = JSON.parse((await server.ip(['-6', '-j', 'rule', 'list'])).stdout) as {
        src?: string;
        table?: string;
      }[];
      const routes =
        (await server.ip(['route', 'show', 'table', '124'])).stdout +
        (await server.ip(['-6', 'route', 'show', 'table', '124'])).stdout;
      return {
        rules: [...rules, ...rules6].filter((rule) => rule.table === '124').map((rule) => rule.src),
        routes: routes.trim().split('\n').filter(Boolean),
      };
    };
    await server.addLoopbackRouting({ table: 124 });
    const added = await tables();
    assert.deepEqual(added.rules, ['127.0.0.1', '::1']);
    assert.equal(added.routes.length, 2);
    assert.match(added.routes.join('\n'), /^local default dev lo/m);
    await server.removeLoopbackRouting();
    assert.deepEqual(await tables(), { rules: [], routes: [] });
  });

  it('fails a wait with the process output instead of hanging', async function () {
    const failing = client.spawn(['sh', '-c', 'echo starting; echo oops >&2; exit 7']);
    await assert.rejects(failing.waitForOutput(/never printed/, 5_000), /exited \(code 7\)[\s\S]*starting[\s\S]*oops/);
    await assert.rejects(client.waitForPort(9, { timeoutMs: 200 }), /nothing bound to tcp port 9 after 200ms/);
  });
});
