/*
 * Faults at the target and mid-stream, through the real mmproxy CLI (topology: ./faults-net.ts): the target down,
 * black-holed, slow to read (and the load balancer slow to read), the target or the load balancer resetting in the
 * middle of a stream. Each time a healthy flow from a second load balancer runs alongside and must come through
 * intact; afterwards mmproxy is still up with no flow open and its descriptors back where they were.
 */
import assert from 'node:assert/strict';

import { exchange, HAPROXY, startHaproxy, tcpProxyConfig } from '../../../lab/index.js';
import { requireNetns, requireProgram, useSuiteNetwork } from '../support/index.js';
import { streamSha256 } from './helpers/faults-peers/bulk-stream.js';
import { Figures, MB, mb } from './helpers/faults-figures.js';
import { type Mmproxy, rssBytes, sampleRss } from './helpers/faults-mmproxy.js';
import { APP1, CLIENT, FaultsNet, LB1 } from './helpers/faults-net.js';
import type { ClientEnd, Peer } from './helpers/faults-peer.js';

/**
 * Four times the RSS bound below and far beyond what the socket buffers hold: a proxy keeping what the slow side
 * cannot take yet would show it in its memory. (256 MB proves the same and costs 10 s more on a loaded machine.)
 */
const BULK_BYTES = 128 * MB;
/** What a proxy that buffers nothing of its own may grow by while the bulk stream is held up. */
const RSS_GROWTH_LIMIT = 32 * MB;
/** The socket buffers on the way (client, mmproxy both sides, target) hold far less than this. */
const IN_FLIGHT_LIMIT = 64 * MB;

describe('faults at the target and mid-stream (mmproxy CLI in network namespaces)', function () {
  this.timeout(60_000);
  const net = useSuiteNetwork(() => new FaultsNet('faults'), requireNetns);
  let proxy: Mmproxy;
  const figures = new Figures();
  let nextPort = 41_000;
  const port = (): number => ++nextPort;

  before(async function () {
    proxy = await net().mmproxy(8501, ['--connect-timeout', '1s']);
    // One flow first, so the descriptors counted include what the first flow sets up for good.
    const warmup = await net().healthy(proxy, port());
    await net().assertHealthy(warmup);
    await proxy.recordBaseline();
  });
  after(function () {
    figures.print('faults at the target and mid-stream: figures');
  });

  const failures = async (): Promise<Record<string, number>> => (await proxy.snapshot()).counters.failures;
  const connectedAt = async (peer: Peer): Promise<number> =>
    (await peer.waitFor('connected', 'the client to connect')).atMs;

  it('target down (refused): the load balancer connection is reset at once and counted', async function () {
    const healthy = await net().healthy(proxy, port());
    const before = await failures();
    const faulty = net().client(net().lb1, proxy, { clientPort: port(), targetPort: 7901, mode: 'idle' });
    const end = await faulty.end();
    assert.equal(end.ended, 'ECONNRESET', 'a reset, not a clean close');
    assert.equal(end.received, 0);
    figures.add('target down: LB connection reset after', `${end.atMs - (await connectedAt(faulty))} ms`);
    assert.equal((await failures()).connect_refused, before.connect_refused! + 1);
    assert.equal((await proxy.waitForLog('connect_refused')).code, 'ECONNREFUSED');
    await net().assertHealthy(healthy);
    await proxy.assertIdle();
  });

  it('target black-holed: after --connect-timeout the load balancer connection is reset and counted', async function () {
    await net().service(7902, 'echo');
    const undo = await net().drop(net().app, 'tcp dport 7902');
    try {
      const healthy = await net().healthy(proxy, port());
      const before = await failures();
      const faulty = net().client(net().lb1, proxy, { clientPort: port(), targetPort: 7902, mode: 'idle' });
      const end = await faulty.end();
      assert.equal(end.ended, 'ECONNRESET');
      figures.add(
        'target black-holed (--connect-timeout 1s): LB connection reset after',
        `${end.atMs - (await connectedAt(faulty))} ms`,
      );
      assert.equal((await failures()).connect_timeout, before.connect_timeout! + 1);
      assert.match((await proxy.waitForLog('connect_timeout')).msg, /timed out after 1000 ms/);
      await net().assertHealthy(healthy);
    } finally {
      await undo();
    }
    await proxy.assertIdle();
  });

  it('target slow to read: TCP holds the client back, mmproxy buffers nothing, every byte arrives in order', async function () {
    const slow = await net().service(7903, 'stall-read');
    const healthy = await net().healthy(proxy, port());
    const rssBefore = rssBytes(proxy.pid);
    const rss = sampleRss(proxy.pid);
    const clientPort = port();
    const client = net().client(net().lb1, proxy, { clientPort, targetPort: 7903, mode: 'push', bytes: BULK_BYTES });
    const inFlight = await client.stalled('written');
    const rssPeak = rss.stop();
    figures.add('target not reading: client held at', `${mb(inFlight)} of ${mb(BULK_BYTES)}`);
    figures.add(
      'target not reading: mmproxy RSS',
      `${mb(rssBefore)} before, ${mb(rssPeak)} at most (+${mb(rssPeak - rssBefore)})`,
    );
    assert.ok(inFlight < IN_FLIGHT_LIMIT, `the client was throttled by TCP: ${mb(inFlight)} taken`);
    assert.ok(rssPeak - rssBefore < RSS_GROWTH_LIMIT, `mmproxy RSS grew by ${mb(rssPeak - rssBefore)}`);

    const released = Date.now();
    slow.process.kill('SIGUSR1');
    const end = await client.end(30_000);
    const done = await slow.done(CLIENT, clientPort);
    figures.add('target reading again: the rest arrived in', `${done.atMs - released} ms`);
    assert.equal(end.ended, 'eof');
    assert.equal(done.received, BULK_BYTES);
    assert.equal(done.receivedSha256, streamSha256(BULK_BYTES), 'every byte, in order');
    await net().assertHealthy(healthy);
    await proxy.assertIdle();
  });

  it('load balancer slow to read: TCP holds the target back, mmproxy buffers nothing, every byte arrives in order', async function () {
    const target = await net().service(7904, 'stream', BULK_BYTES);
    const healthy = await net().healthy(proxy, port());
    const rssBefore = rssBytes(proxy.pid);
    const rss = sampleRss(proxy.pid);
    const clientPort = port();
    const client = net().client(net().lb1, proxy, { clientPort, targetPort: 7904, mode: 'stall-read' });
    const inFlight = await target.stalled('written');
    const rssPeak = rss.stop();
    figures.add('LB not reading: target held at', `${mb(inFlight)} of ${mb(BULK_BYTES)}`);
    figures.add(
      'LB not reading: mmproxy RSS',
      `${mb(rssBefore)} before, ${mb(rssPeak)} at most (+${mb(rssPeak - rssBefore)})`,
    );
    assert.ok(inFlight < IN_FLIGHT_LIMIT, `the target was throttled by TCP: ${mb(inFlight)} taken`);
    assert.ok(rssPeak - rssBefore < RSS_GROWTH_LIMIT, `mmproxy RSS grew by ${mb(rssPeak - rssBefore)}`);

    const released = Date.now();
    client.process.kill('SIGUSR1');
    const end = await client.end(30_000);
    figures.add('LB reading again: the rest arrived in', `${end.atMs - released} ms`);
    assert.equal(end.ended, 'eof');
    assert.equal(end.received, BULK_BYTES);
    assert.equal(end.receivedSha256, streamSha256(BULK_BYTES), 'every byte, in order');
    assert.equal((await target.done(CLIENT, clientPort)).error, undefined);
    await net().assertHealthy(healthy);
    await proxy.assertIdle();
  });

  it('target resetting mid-stream: the load balancer sees a reset, not a clean end, and it is counted', async function () {
    const target = await net().service(7905, 'reset-after', 1 * MB);
    const healthy = await net().healthy(proxy, port());
    const before = await failures();
    const clientPort = port();
    const client = net().client(net().lb1, proxy, { clientPort, targetPort: 7905, mode: 'push', bytes: 64 * MB });
    const done = await target.done(CLIENT, clientPort);
    assert.equal(done.error, 'reset');
    const end = await client.end();
    assert.ok(['ECONNRESET', 'EPIPE'].includes(end.ended), `the load balancer saw ${end.ended}`);
    figures.add('target reset mid-stream: LB connection reset after', `${end.atMs - done.atMs} ms`);
    assert.equal((await failures()).relay_error, before.relay_error! + 1);
    assert.equal((await proxy.waitForLog('relay_error', (line) => line.code === 'ECONNRESET')).level, 'info');
    await net().assertHealthy(healthy);
    await proxy.assertIdle();
  });

  it('load balancer resetting in the middle of a bulk download: the target sees a reset, the pipe with bytes in it goes', async function () {
    const target = await net().service(7906, 'stream', BULK_BYTES);
    const healthy = await net().healthy(proxy, port());
    const before = await failures();
    const clientPort = port();
    const client = net().client(net().lb1, proxy, {
      clientPort,
      targetPort: 7906,
      mode: 'reset-after',
      bytes: 16 * MB,
    });
    const end: ClientEnd = await client.end();
    assert.equal(end.ended, 'reset');
    const done = await target.done(CLIENT, clientPort);
    assert.ok(done.error === 'ECONNRESET' || done.error === 'EPIPE', `the target saw ${done.error ?? 'a clean end'}`);
    assert.ok(done.written < BULK_BYTES);
    figures.add('LB reset mid-download: target connection reset after', `${done.atMs - end.atMs} ms`);
    assert.equal((await failures()).relay_error, before.relay_error! + 1);
    await net().assertHealthy(healthy);
    await proxy.assertIdle();
  });

  it('behind real HAProxy: a refused target shows in its log as a server-side abort (SD)', async function () {
    requireProgram(this, HAPROXY, 'haproxy');
    const refusing = await net().mmproxy(8503, [], ['-4', '127.0.0.1:7931']);
    net().track(refusing.process);
    const config = tcpProxyConfig({
      bind: { address: LB1, port: 8031 },
      servers: [{ address: APP1, port: 8503, sendProxy: 'v2' }],
    });
    const haproxy = await startHaproxy(net().lb1, { config, waitForPorts: [8031] });
    net().track(haproxy.process);
    const result = await exchange(net().lb1, { connect: `${LB1}:8031`, sendBytes: 10 });
    assert.equal(result.receivedBytes, 0);
    // tcplog: client:port [date] fe be/s0 Tw/Tc/Tt bytes_read termination_state ...
    const [line] = await haproxy.waitForLog(
      new RegExp(
        `^${LB1.replaceAll('.', '\\.')}:${result.localPort} \\[[^\\]]+\\] fe be/s0 \\d+/\\d+/\\d+ 0 SD .*$`,
        'm',
      ),
    );
    figures.add('behind HAProxy, target down: HAProxy logged', line.replace(/\[[^\]]+\] /, ''));
    assert.equal((await refusing.snapshot()).counters.failures.connect_refused, 1);
  });
});
