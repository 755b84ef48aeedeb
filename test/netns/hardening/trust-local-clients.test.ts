/*
 * A PROXY header may not make the app see this host: clients that are loopback or one of the host's own
 * addresses are refused (local_client) unless allowLocalClients; LOCAL and UNKNOWN headers connect from the
 * load balancer's own address (the real connection's endpoint), not from the host's; -dynamic-destination goes
 * only where it is allowed. TCP through the data plane; the UDP side is in ./trust-udp.test.ts.
 *
 *   ┌── lb ─────────────────────┐      ┌── app (loopback routing, table 123) ──────────────────────────┐
 *   │ proxy-client (the LB)      │ eth0 │ eth0 198.51.100.2, 2001:db8:1b::2                              │
 *   │ 198.51.100.1, 2001:db8:1b::1├──────┤ data plane [::]:85xx ──spoofed──▶ service 127.0.0.1:7500      │
 *   └───────────────────────────┘      │                                   service [::1]:7500          │
 *                                      └───────────────────────────────────────────────────────────────┘
 */
import assert from 'node:assert/strict';

import type { DataPlaneConfig } from '../../../src/native/dataplane-types.js';
import { DataPlaneDriver, dataPlaneConfig, eventually } from '../dataplane/harness/driver.js';
import { v1, v1Unknown, v2, v2Local, type Addresses } from '../dataplane/harness/headers.js';
import { runClient, StreamService } from '../dataplane/harness/peers.js';
import { assertNoLeaks, type Host, Lab } from '../../../lab/index.js';
import { printLabLogOnFailure, requireNetns } from '../support/index.js';

const LB = { 4: '198.51.100.1', 6: '2001:db8:1b::1' } as const;
const APP = { 4: '198.51.100.2', 6: '2001:db8:1b::2' } as const;
const SERVICE_PORT = 7500;
/** Documentation addresses: a client that is nobody here. */
const REMOTE_CLIENT = { 4: '192.0.2.50', 6: '2001:db8::50' } as const;

const BUILDERS = { v1, v2 } as const;
let nextClientPort = 41000;

function config(port: number, overrides: Partial<DataPlaneConfig> = {}): DataPlaneConfig {
  return dataPlaneConfig({
    listen: { family: 6, address: '::', port },
    target4: { family: 4, address: '127.0.0.1', port: SERVICE_PORT },
    target6: { family: 6, address: '::1', port: SERVICE_PORT },
    listeners: 1,
    connectTimeoutMs: 3000,
    ...overrides,
  });
}

function listenOn(family: 4 | 6, port: number): string {
  return family === 4 ? `${APP[4]}:${port}` : `[${APP[6]}]:${port}`;
}

function header(version: 'v1' | 'v2', source: string, destination?: { address: string; port: number }): Buffer {
  const six = source.includes(':');
  const addresses: Addresses = {
    source,
    sourcePort: nextClientPort++,
    destination: destination?.address ?? (six ? '2001:db8::10' : '192.0.2.10'),
    destinationPort: destination?.port ?? 443,
  };
  return BUILDERS[version](addresses);
}

describe('hardening: a header cannot make the app see this host (TCP)', function () {
  this.timeout(90_000);
  let lab: Lab;
  let lb: Host;
  let app: Host;
  let service4: StreamService;
  let service6: StreamService;
  let plane: DataPlaneDriver | undefined;
  let port = 8500;

  before(async function () {
    requireNetns(this);
    lab = Lab.create('trust');
    lb = await lab.host('lb');
    app = await lab.host('app');
    await lab.link(lb, app, {
      a: { v4: `${LB[4]}/24`, v6: `${LB[6]}/64` },
      b: { v4: `${APP[4]}/24`, v6: `${APP[6]}/64` },
    });
    await app.addLoopbackRouting();
    service4 = await StreamService.start(app, `127.0.0.1:${SERVICE_PORT}`);
    service6 = await StreamService.start(app, `[::1]:${SERVICE_PORT}`);
  });
  beforeEach(function () {
    port++;
  });
  afterEach(async function () {
    printLabLogOnFailure(this, lab);
    if (plane) {
      const { fdsBefore, fdsAfter } = await plane.close();
      assert.equal(fdsAfter, fdsBefore, 'close() leaves no descriptor open');
    }
    plane = undefined;
  });
  after(async function () {
    if (!lab) return;
    await lab.destroy();
    await assertNoLeaks(lab);
  });

  const accepted = (): number => service4.accepted() + service6.accepted();

  /** Local clients, by family: loopback, another loopback address, the host's own, IPv4-mapped loopback. */
  const LOCAL_CLIENTS = {
    4: ['127.0.0.1', '127.8.9.10', APP[4]],
    6: ['::1', APP[6], '::ffff:7f00:1'],
  } as const;

  for (const family of [4, 6] as const) {
    for (const version of ['v1', 'v2'] as const) {
      it(`${version} over IPv${family}: clients that are this host are refused as local_client; the app never sees them`, async function () {
        plane = await DataPlaneDriver.start(app, config(port));
        const before = accepted();
        for (const client of LOCAL_CLIENTS[family]) {
          const result = await runClient(lb, {
            connect: listenOn(family, port),
            header: header(version, client),
            sendBytes: 100,
            timeoutMs: 5000,
          });
          assert.notEqual(result.ended, 'eof', `${client}: the connection is reset, not relayed`);
          assert.equal(result.peer, null, `${client}: no service answered`);
        }
        const counters = await plane.counters();
        console.log(
          `      IPv${family} ${version}: local_client ${counters.failures.local_client} of ${LOCAL_CLIENTS[family].length}, service accepted ${accepted() - before}`,
        );
        assert.equal(counters.failures.local_client, LOCAL_CLIENTS[family].length);
        assert.equal(counters.established, 0);
        assert.equal(accepted() - before, 0, 'the app never saw a connection');
        const event = await eventually('a local_client event', () =>
          plane!.events().find((e) => e.kind === 'local_client'),
        );
        assert.equal(event.level, 'warn');
        assert.equal(event.code, 'ERR_LOCAL_CLIENT');
        assert.match(event.message, /is this host .*--allow-local-clients/);
        // A client that is not this host still goes through, from its own address.
        const remote = await runClient(lb, {
          connect: listenOn(family, port),
          header: header(version, REMOTE_CLIENT[family]),
          sendBytes: 100,
        });
        assert.equal(remote.ended, 'eof');
        assert.equal(remote.peer?.address, REMOTE_CLIENT[family]);
      });
    }
  }

  it('an address the host gains after start is refused at once, and relayed again once it is gone', async function () {
    plane = await DataPlaneDriver.start(app, config(port));
    const added = '203.0.113.77';
    await app.ip(['addr', 'add', `${added}/32`, 'dev', 'lo']);
    try {
      const refused = await runClient(lb, {
        connect: listenOn(4, port),
        header: header('v2', added),
        sendBytes: 10,
        timeoutMs: 5000,
      });
      assert.equal(refused.peer, null);
      assert.equal((await plane.counters()).failures.local_client, 1);
    } finally {
      await app.ip(['addr', 'del', `${added}/32`, 'dev', 'lo']);
    }
    const relayed = await runClient(lb, { connect: listenOn(4, port), header: header('v2', added), sendBytes: 10 });
    assert.equal(relayed.peer?.address, added);
    assert.equal((await plane.counters()).failures.local_client, 1);
  });

  it('allowLocalClients (--allow-local-clients) relays them from the address the header names', async function () {
    plane = await DataPlaneDriver.start(app, config(port, { allowLocalClients: true }));
    for (const [family, client] of [
      [4, '127.0.0.1'],
      [4, APP[4]],
      [6, '::1'],
    ] as const) {
      const result = await runClient(lb, {
        connect: listenOn(family, port),
        header: header('v2', client),
        sendBytes: 100,
      });
      assert.equal(result.ended, 'eof', client);
      assert.equal(result.peer?.address, client);
    }
    assert.equal((await plane.counters()).failures.local_client, 0);
  });

  for (const family of [4, 6] as const) {
    it(`IPv${family}: v2 LOCAL and v1 UNKNOWN connect from the load balancer's address, never the host's`, async function () {
      plane = await DataPlaneDriver.start(app, config(port));
      for (const built of [v2Local(), v1Unknown()]) {
        const result = await runClient(lb, { connect: listenOn(family, port), header: built, sendBytes: 100 });
        assert.equal(result.ended, 'eof');
        assert.deepEqual(
          result.peer,
          { address: LB[family], port: result.localPort },
          "the real connection's endpoint",
        );
      }
      assert.equal((await plane.counters()).localHeaders, 2);
    });
  }

  it('a LOCAL header from a load balancer on this host connects from our own address, unspoofed', async function () {
    plane = await DataPlaneDriver.start(app, config(port));
    const result = await runClient(app, { connect: `127.0.0.1:${port}`, header: v2Local(), sendBytes: 10 });
    assert.equal(result.peer?.address, '127.0.0.1');
    assert.notEqual(result.peer?.port, result.localPort, "a port of our own, not the load balancer's");
  });

  it('-dynamic-destination without an allow-list relays only to this host', async function () {
    plane = await DataPlaneDriver.start(app, config(port, { dynamicDestination: true }));
    const here = await runClient(lb, {
      connect: listenOn(4, port),
      header: header('v2', REMOTE_CLIENT[4], { address: '127.0.0.1', port: SERVICE_PORT }),
      sendBytes: 10,
    });
    assert.equal(here.peer?.address, REMOTE_CLIENT[4]);
    const elsewhere = await runClient(lb, {
      connect: listenOn(4, port),
      header: header('v2', REMOTE_CLIENT[4], { address: LB[4], port: 22 }),
      sendBytes: 10,
      timeoutMs: 5000,
    });
    assert.equal(elsewhere.peer, null);
    const counters = await plane.counters();
    assert.equal(counters.failures.destination_not_allowed, 1);
    const event = await eventually('a destination_not_allowed event', () =>
      plane!.events().find((e) => e.kind === 'destination_not_allowed'),
    );
    assert.match(event.message, /198\.51\.100\.1:22 is not this host/);
  });

  it('-dynamic-destination with an allow-list relays to its prefixes and ports only', async function () {
    plane = await DataPlaneDriver.start(
      app,
      config(port, {
        dynamicDestination: true,
        dynamicDestinationAllow: [{ prefix: '127.0.0.0/8', firstPort: SERVICE_PORT, lastPort: SERVICE_PORT }],
      }),
    );
    const allowed = await runClient(lb, {
      connect: listenOn(4, port),
      header: header('v2', REMOTE_CLIENT[4], { address: '127.0.0.1', port: SERVICE_PORT }),
      sendBytes: 10,
    });
    assert.equal(allowed.peer?.address, REMOTE_CLIENT[4]);
    const refused: [string, { address: string; port: number }][] = [
      [REMOTE_CLIENT[4], { address: '127.0.0.1', port: SERVICE_PORT + 1 }],
      [REMOTE_CLIENT[6], { address: '::1', port: SERVICE_PORT }],
      [REMOTE_CLIENT[4], { address: LB[4], port: SERVICE_PORT }],
    ];
    for (const [client, destination] of refused) {
      const result = await runClient(lb, {
        connect: listenOn(4, port),
        header: header('v2', client, destination),
        sendBytes: 10,
        timeoutMs: 5000,
      });
      assert.equal(result.peer, null, JSON.stringify(destination));
    }
    assert.equal((await plane.counters()).failures.destination_not_allowed, refused.length);
  });
});
