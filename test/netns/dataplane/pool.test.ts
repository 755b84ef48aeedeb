/*
 * Many data planes on one WorkerPool, for real, in one namespace with
 * loopback routing: 20 planes (TCP and UDP) on 2 threads each relay with the
 * client's address; closing one plane leaves a 20 MB stream on another
 * intact; a plane takes over a running plane's listeners with connections
 * arriving in a tight loop, and none is lost.
 *
 *   ┌── app (lo: 127.0.0.1; ip rule from 127.0.0.1/8 iif lo → table 123: local) ─────────────┐
 *   │  proxy-client / udp-sender / connect-loop ──PROXY──▶ pool driver: one WorkerPool (2     │
 *   │  (the load balancers)                                threads), planes on 127.0.0.1:84xx  │
 *   │                                                          │ spoofed client address        │
 *   │                                      stream service 127.0.0.1:7400 (echo), :7402 (banner) │
 *   │                                      UDP peer service 127.0.0.1:7401                      │
 *   └──────────────────────────────────────────────────────────────────────────────────────────┘
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';

import { dataPlaneConfig, eventually } from './harness/driver.js';
import { v2 } from './harness/headers.js';
import { runClient, startClient, StreamService } from './harness/peers.js';
import { PoolDriver } from './harness/pool.js';
import { parsePeerReply, proxied, sendDatagrams } from './harness/udp.js';
import { assertNoLeaks, type Host, Lab, payload, sha256, startPeerService } from '../../../lab/index.js';
import { printLabLogOnFailure, requireNetns } from '../support/index.js';

const CONNECT_LOOP = fileURLToPath(new URL('./harness/connect-loop.js', import.meta.url));
const STREAM_BYTES = 20 * 1024 * 1024;
const LOOP_CONNECTIONS = 300;

/** connect-loop's last line: how connections ended, and what each received. */
function loopResult(line: RegExpMatchArray): { ended: Record<string, number>; received: string[] } {
  return JSON.parse(line[0]) as { ended: Record<string, number>; received: string[] };
}

function tcpPlane(port: number, targetPort: number) {
  return dataPlaneConfig({
    listen: { family: 4, address: '127.0.0.1', port },
    target4: { family: 4, address: '127.0.0.1', port: targetPort },
  });
}

function udpPlane(port: number, targetPort: number) {
  return dataPlaneConfig({
    protocol: 'udp',
    listen: { family: 4, address: '127.0.0.1', port },
    target4: { family: 4, address: '127.0.0.1', port: targetPort },
    closeAfterSeconds: 5,
    maxSessions: 100,
  });
}

describe('data plane: many planes on one worker pool', function () {
  this.timeout(60_000);
  let lab: Lab;
  let app: Host;
  let pool: PoolDriver;
  let banner: StreamService;

  before(async function () {
    requireNetns(this);
    lab = Lab.create('dppool');
    app = await lab.host('app');
    await app.addLoopbackRouting();
    await StreamService.start(app, '127.0.0.1:7400');
    await startPeerService(app, '127.0.0.1:7401', { udp: true });
    // Sends its banner (PEER <client>) and FIN at once: each looped connection ends by itself.
    banner = await StreamService.start(app, '127.0.0.1:7402', 'send-then-read');
    pool = await PoolDriver.start(app, 2);
  });
  afterEach(function () {
    printLabLogOnFailure(this, lab);
  });
  after(async function () {
    if (!lab) return;
    try {
      if (pool) {
        const { fdsBefore, fdsAfter } = await pool.closePool();
        assert.equal(fdsAfter, fdsBefore, 'closing the pool closed every descriptor of its planes');
      }
    } finally {
      await lab.destroy();
      await assertNoLeaks(lab);
    }
  });

  it('20 planes, TCP and UDP, relay on 2 threads with the client address', async function () {
    const tcp = Array.from({ length: 10 }, (_, i) => 8400 + i);
    const udp = Array.from({ length: 10 }, (_, i) => 8420 + i);
    for (const port of tcp) await pool.add(`tcp${port}`, tcpPlane(port, 7402));
    for (const port of udp) await pool.add(`udp${port}`, udpPlane(port, 7401));
    const threads = await app.exec(['sh', '-c', `cat /proc/${pool.process.pid}/task/*/comm`]);
    assert.equal(threads.stdout.split('\n').filter((name) => name.startsWith('mmproxy-w')).length, 2);

    // One process for the TCP side: the banner service names the client it sees.
    const streams = app.node(CONNECT_LOOP, [
      ...['--connect', tcp.map((port) => `127.0.0.1:${port}`).join(',')],
      ...['--count', String(tcp.length), '--in-flight', String(tcp.length), '--first-port', '41000'],
    ]);
    const exchanges = udp.map((port, i) =>
      sendDatagrams(app, {
        from: '127.0.0.1',
        to: `127.0.0.1:${port}`,
        datagrams: [proxied({ address: '198.51.100.8', port: 42000 + i }, `hello ${port}`)],
        expect: 1,
      }),
    );
    const { ended, received } = loopResult(await streams.waitForOutput(/^\{.*\}$/m));
    assert.deepEqual(ended, { eof: tcp.length });
    assert.deepEqual(
      received,
      tcp.map((_, i) => `PEER 198.51.100.7 ${41000 + i}\n`),
    );
    (await Promise.all(exchanges)).forEach((result, i) => {
      assert.deepEqual(parsePeerReply(result.replies[0]?.text ?? ''), {
        address: '198.51.100.8',
        port: 42000 + i,
        payload: `hello ${udp[i]}`,
      });
    });
    for (const name of [...tcp.map((port) => `tcp${port}`), ...udp.map((port) => `udp${port}`)]) {
      assert.equal((await pool.counters(name)).accepted, 1, name);
      await pool.close(name);
    }
  });

  it('closing one plane mid-stream leaves a 20 MB stream on another plane of the pool intact', async function () {
    await pool.add('stream', tcpPlane(8440, 7400));
    await pool.add('victim', tcpPlane(8441, 7400));
    const held = startClient(app, {
      connect: '127.0.0.1:8441',
      header: v2({ source: '198.51.100.9', sourcePort: 43000, destination: '192.0.2.10', destinationPort: 443 }),
      mode: 'hold',
      releaseFile: '/nonexistent/never-released',
    });
    await eventually('the held flow to relay', async () =>
      (await pool.counters('victim')).active === 1 ? true : undefined,
    );
    const stream = runClient(app, {
      connect: '127.0.0.1:8440',
      header: v2({ source: '198.51.100.9', sourcePort: 43001, destination: '192.0.2.10', destinationPort: 443 }),
      sendBytes: STREAM_BYTES,
      timeoutMs: 30_000,
    });
    await eventually('the stream to start', async () =>
      (await pool.counters('stream')).bytesToTarget > 0 ? true : undefined,
    );
    await pool.close('victim');
    const result = await stream;
    assert.equal(result.ended, 'eof');
    assert.equal(result.receivedBytes, STREAM_BYTES);
    assert.equal(result.receivedSha256, sha256(payload(STREAM_BYTES)));
    await held.exited;
    assert.equal((await pool.counters('victim')).active, 0, 'the closed plane closed its flow');
    await pool.close('stream');
  });

  it('a plane takes over the listeners of another while connections arrive: none lost', async function () {
    await pool.add('old', tcpPlane(8450, 7402));
    const servedBefore = banner.accepted();
    const loop = app.node(CONNECT_LOOP, [
      '--connect',
      '127.0.0.1:8450',
      '--count',
      String(LOOP_CONNECTIONS),
      '--in-flight',
      '8',
      '--first-port',
      '44000',
    ]);
    await loop.waitForOutput(/^PROGRESS 25$/m);
    await pool.add('new', tcpPlane(8450, 7402), 'old');
    await pool.stopAccepting('old');
    const { ended, received } = loopResult(await loop.waitForOutput(/^\{.*\}$/m));
    assert.deepEqual(ended, { eof: LOOP_CONNECTIONS }, 'every connection served, none refused or reset');
    received.forEach((text, i) => assert.equal(text, `PEER 198.51.100.7 ${44000 + i}\n`));

    // After stopAccepting the old plane no longer listens: the new one serves.
    const late = await runClient(app, {
      connect: '127.0.0.1:8450',
      header: v2({ source: '198.51.100.9', sourcePort: 45000, destination: '192.0.2.10', destinationPort: 443 }),
      mode: 'read-then-send',
    });
    assert.equal(late.ended, 'eof');
    const [old, adopted] = [await pool.counters('old'), await pool.counters('new')];
    assert.equal(old.accepted + adopted.accepted, LOOP_CONNECTIONS + 1, 'the two planes accepted every connection');
    assert.ok(adopted.accepted >= 1, 'the new plane serves');
    await eventually('every flow to end normally', async () => {
      const [a, b] = [await pool.counters('old'), await pool.counters('new')];
      return a.completed + b.completed === LOOP_CONNECTIONS + 1 ? true : undefined;
    });
    await eventually('the service to see each connection once', () =>
      banner.accepted() === servedBefore + LOOP_CONNECTIONS + 1 ? true : undefined,
    );
    assert.ok(pool.events('new').some((event) => /^took over the listeners of 127\.0\.0\.1:8450/.test(event.message)));
    await pool.close('old');
    await pool.close('new');
  });
});
