/*
 * UDP side of the trust boundaries: a header naming this host as its client is dropped (local_client); a LOCAL
 * header relays from the load balancer's own address; and at --max-sessions a flood of datagrams from new
 * forged clients cannot push out sessions that are exchanging traffic.
 *
 *   ┌── lb ──────────────────────┐      ┌── app (loopback routing, table 123) ──────────────────────────┐
 *   │ udp-sender, udp-session-    │ eth0 │ eth0 198.51.100.2, 2001:db8:1c::2                             │
 *   │ flood (the LB)              ├──────┤ data plane [::]:86xx udp ──spoofed──▶ peer-service 127.0.0.1:7600│
 *   │ 198.51.100.1, 2001:db8:1c::1│      │                                     peer-service [::1]:7600   │
 *   └────────────────────────────┘      └───────────────────────────────────────────────────────────────┘
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import type { DataPlaneConfig } from '../../../src/native/dataplane-types.js';
import { encodeProxyHeader } from '../../../src/proxy-protocol/encode.js';
import { DataPlaneDriver, dataPlaneConfig } from '../dataplane/harness/driver.js';
import { parsePeerReply, proxied, sendDatagrams } from '../dataplane/harness/udp.js';
import { assertNoLeaks, type Host, Lab, startPeerService } from '../../../lab/index.js';
import { printLabLogOnFailure, requireNetns } from '../support/index.js';
import type { FloodReport } from './helpers/udp-session-flood.js';

const FLOOD = fileURLToPath(new URL('./helpers/udp-session-flood.js', import.meta.url));
const LB = { 4: '198.51.100.1', 6: '2001:db8:1c::1' } as const;
const APP = { 4: '198.51.100.2', 6: '2001:db8:1c::2' } as const;
const SERVICE_PORT = 7600;
const REAL_SESSIONS = 5;
const FORGED_CLIENTS = 10_000;
/** Far fewer than the forged clients: without fair eviction the flood cycles the table many times over. */
const MAX_SESSIONS = 200;

function config(port: number, overrides: Partial<DataPlaneConfig> = {}): DataPlaneConfig {
  return dataPlaneConfig({
    protocol: 'udp',
    listen: { family: 6, address: '::', port },
    target4: { family: 4, address: '127.0.0.1', port: SERVICE_PORT },
    target6: { family: 6, address: '::1', port: SERVICE_PORT },
    listeners: 1,
    closeAfterSeconds: 60,
    ...overrides,
  });
}

function listenOn(family: 4 | 6, port: number): string {
  return family === 4 ? `${APP[4]}:${port}` : `[${APP[6]}]:${port}`;
}

describe('hardening: UDP trust boundaries and fair eviction', function () {
  this.timeout(120_000);
  let lab: Lab;
  let lb: Host;
  let app: Host;
  let plane: DataPlaneDriver | undefined;
  let port = 8600;
  let dir = '';

  before(async function () {
    requireNetns(this);
    lab = Lab.create('trustudp');
    lb = await lab.host('lb');
    app = await lab.host('app');
    await lab.link(lb, app, {
      a: { v4: `${LB[4]}/24`, v6: `${LB[6]}/64` },
      b: { v4: `${APP[4]}/24`, v6: `${APP[6]}/64` },
    });
    await app.addLoopbackRouting();
    await startPeerService(app, `127.0.0.1:${SERVICE_PORT}`, { udp: true });
    await startPeerService(app, `[::1]:${SERVICE_PORT}`, { udp: true });
    dir = await mkdtemp(join(tmpdir(), 'mmproxy-trust-udp-'));
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
    if (dir) await rm(dir, { recursive: true, force: true });
    if (!lab) return;
    await lab.destroy();
    await assertNoLeaks(lab);
  });

  for (const family of [4, 6] as const) {
    it(`IPv${family}: a header naming this host as its client is dropped as local_client; the service never sees it`, async function () {
      plane = await DataPlaneDriver.start(app, config(port));
      const local = family === 4 ? ['127.0.0.1', '127.1.2.3', APP[4]] : ['::1', APP[6], '::ffff:7f00:1'];
      const remote = family === 4 ? '192.0.2.60' : '2001:db8::60';
      // The remote client last: the listener is read in order, so its reply means the others were handled.
      const datagrams = [
        ...local.map((address) => proxied({ address, port: 4600 }, 'local')),
        proxied({ address: remote, port: 4600 }, 'remote'),
      ];
      const result = await sendDatagrams(lb, { from: LB[family], to: listenOn(family, port), datagrams, expect: 1 });
      assert.deepEqual(
        result.replies.map((reply) => parsePeerReply(reply.text)?.address),
        [remote],
        'only the remote client reached the service',
      );
      const counters = await plane.counters();
      console.log(
        `      IPv${family} UDP: local_client ${counters.failures.local_client} of ${local.length}, sessions ${counters.accepted}`,
      );
      assert.equal(counters.failures.local_client, local.length);
      assert.equal(counters.accepted, 1, 'one session: the remote client');
      const event = plane.events().find((e) => e.kind === 'local_client');
      assert.equal(event?.code, 'ERR_LOCAL_CLIENT');
    });

    it(`IPv${family}: a LOCAL header relays from the load balancer's own address and port`, async function () {
      plane = await DataPlaneDriver.start(app, config(port));
      const local = Buffer.concat([
        encodeProxyHeader({ version: 2, command: 'local', transport: 'dgram' }),
        Buffer.from('check'),
      ]);
      const result = await sendDatagrams(lb, {
        from: LB[family],
        to: listenOn(family, port),
        datagrams: [local],
        expect: 1,
      });
      const reply = parsePeerReply(result.replies[0]?.text ?? '');
      assert.deepEqual(reply, { address: LB[family], port: result.port, payload: 'check' });
      assert.equal((await plane.counters()).localHeaders, 1);
    });
  }

  it(`${FORGED_CLIENTS} forged clients at --max-sessions ${MAX_SESSIONS} cannot push out ${REAL_SESSIONS} sessions exchanging traffic`, async function () {
    plane = await DataPlaneDriver.start(app, config(port, { maxSessions: MAX_SESSIONS }));
    const goFile = join(dir, `go-${port}`);
    const flood = lb.node(FLOOD, [
      '--to',
      listenOn(4, port),
      '--from',
      LB[4],
      '--real',
      String(REAL_SESSIONS),
      '--forged',
      String(FORGED_CLIENTS),
      '--go-file',
      goFile,
    ]);
    await flood.waitForOutput(/^WARM$/m);
    const realBefore = (await plane.flows()).filter((flow) => flow.client?.address.startsWith('192.0.2.'));
    assert.equal(realBefore.length, REAL_SESSIONS);
    await writeFile(goFile, '');
    const [line] = await flood.waitForOutput(/^\{.*\}$/m, 60_000);
    const report = JSON.parse(line) as FloodReport;
    const realAfter = (await plane.flows()).filter((flow) => flow.client?.address.startsWith('192.0.2.'));
    const counters = await plane.counters();
    const survived = realBefore.filter((before) => realAfter.some((after) => after.id === before.id)).length;
    console.log(
      `      flood: ${report.forgedSent} forged datagrams in ${report.floodMs} ms; sessions opened ${counters.accepted}, ` +
        `evicted ${counters.sessionsEvicted}, refused at the cap ${counters.failures.too_many_connections}, ` +
        `open ${counters.active}; real sessions ${survived}/${REAL_SESSIONS} survived (same flow id), ` +
        `real datagrams answered ${report.realAnswered}/${report.realSent}`,
    );
    assert.equal(survived, REAL_SESSIONS, 'every real session is the one it was before the flood');
    assert.ok(counters.sessionsEvicted > 0, 'the flood did fill the table');
    assert.ok(counters.active <= MAX_SESSIONS);
  });
});
