/*
 * `mmproxy top` and `/metrics` end to end: real clients, real HAProxy sending PROXY v2 headers, the real
 * `mmproxy` CLI with its stats socket and metrics endpoint, and the real `mmproxy top` reading them.
 *
 *   ┌─ client ───────────────┐      ┌─ lb ─────────────────────────┐      ┌─ app ──────────────────────────────┐
 *   │ eth0 203.0.113.10-12/24├──────┤ eth0 203.0.113.1/24          │      │ mmproxy 192.0.2.2:8401             │
 *   │      2001:db8:1::10/64 │ veth │      2001:db8:1::1/64        │      │   --stats-socket $TMP/…/proxy.sock │
 *   │ 4 streaming clients    │      │ haproxy :8001 (v4 and v6)    │      │   --metrics-listen 127.0.0.1:9101  │
 *   └────────────────────────┘      │   → 192.0.2.2:8401           │      │ peer-service 127.0.0.1:7000        │
 *                                   │     send-proxy-v2            │      │              [::1]:7000            │
 *                                   │ eth1 192.0.2.1/24            ├──────┤ eth0 192.0.2.2/24                  │
 *                                   └──────────────────────────────┘ veth │ default via 192.0.2.1              │
 *                                                                         │ loopback routing (table 123)       │
 *                                                                         └────────────────────────────────────┘
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { requestSnapshot } from '../../../src/stats/client.js';
import { parseExposition, sampleValue } from '../../support/prometheus-parser.js';
import { waitFor } from '../../support/wait-for.js';
import {
  assertNoLeaks,
  exchange,
  type Host,
  type HostProcess,
  Lab,
  HAPROXY,
  startHaproxy,
  startPeerService,
  tcpProxyConfig,
} from '../../../lab/index.js';
import { printLabLogOnFailure, requireNetns, requirePrerequisite, requireProgram } from '../support/index.js';
import { shownFlows } from './helpers/once-frame.js';

const MMPROXY_BIN = fileURLToPath(new URL('../../../../bin/mmproxy.js', import.meta.url));
const STREAMING_CLIENT = fileURLToPath(new URL('../../../lab/services/streaming-client.js', import.meta.url));
const PTY_RUN = fileURLToPath(new URL('../../../../test/support/pty_run.py', import.meta.url));
const DATA_PLANE_MODULE = fileURLToPath(new URL('../../../src/proxy/dataplane.js', import.meta.url));

const CLIENTS_V4 = ['203.0.113.10', '203.0.113.11', '203.0.113.12'];
const CLIENT_V6 = '2001:db8:1::10';
const LB_FRONT_V4 = '203.0.113.1';
const LB_FRONT_V6 = '2001:db8:1::1';
const LB_BACK = '192.0.2.1';
const APP = '192.0.2.2';
const SERVICE_PORT = 7000;
const MMPROXY_PORT = 8401;
const LB_PORT = 8001;
const METRICS = '127.0.0.1:9101';
/** 16 KiB every 50 ms: about 320 KiB/s per flow, enough to see counts grow between two frames. */
const CHUNK_BYTES = 16 * 1024;
const EVERY_MS = 50;
/** Short, so the missing-routing case (the last test) produces its timeouts quickly. */
const CONNECT_TIMEOUT_S = 2;
/** The failures panel calls this many connect timeouts, with no connect succeeding, a run. */
const TIMEOUT_RUN = 3;

interface LiveClient {
  process: HostProcess;
  /** "203.0.113.10:41234" as top prints it: the client's own address and port. */
  shown: string;
}

describe('mmproxy top and /metrics on a live proxy (network namespaces)', function () {
  this.timeout(90_000);
  let lab: Lab;
  let client: Host;
  let lb: Host;
  let app: Host;
  let dir: string;
  let socketPath: string;
  let releaseFile: string;
  const clients: LiveClient[] = [];

  async function top(args: string[]): Promise<string> {
    const result = await app.exec([process.execPath, MMPROXY_BIN, 'top', '--stats-socket', socketPath, ...args], {
      timeoutMs: 20_000,
    });
    assert.equal(result.code, 0, `mmproxy top ${args.join(' ')} failed:\n${result.stderr}`);
    return result.stdout;
  }

  async function scrape(): Promise<ReturnType<typeof parseExposition>> {
    const script = `fetch('http://${METRICS}/metrics').then((r) => r.text()).then((t) => process.stdout.write(t))`;
    const { stdout } = await app.run([process.execPath, '-e', script]);
    return parseExposition(stdout);
  }

  async function startClient(connect: string, bind: string): Promise<LiveClient> {
    const child = client.node(STREAMING_CLIENT, [
      '--connect',
      connect,
      '--bind',
      bind,
      '--chunk-bytes',
      String(CHUNK_BYTES),
      '--every-ms',
      String(EVERY_MS),
      '--release-file',
      releaseFile,
      '--timeout-ms',
      '60000',
    ]);
    await child.waitForOutput(/^READY \d+ /m, 10_000, 'stdout');
    const [, localPort, peerAddress, peerPort] = /^READY (\d+) (\S+) (\d+)$/m.exec(child.stdout)!;
    // The app saw the client itself: that is what mmproxy is for, and what top must show.
    assert.deepEqual([peerAddress, peerPort], [bind, localPort]);
    return { process: child, shown: bind.includes(':') ? `[${bind}]:${localPort}` : `${bind}:${localPort}` };
  }

  before(async function () {
    requireNetns(this);
    requireProgram(this, HAPROXY, 'haproxy');
    requirePrerequisite(
      this,
      existsSync(DATA_PLANE_MODULE) ? null : `${DATA_PLANE_MODULE} is missing: build it with npm run build:ts`,
    );
    lab = Lab.create('top');
    [client, lb, app] = [await lab.host('client'), await lab.host('lb'), await lab.host('app')];
    await lab.link(client, lb, {
      a: { v4: `${CLIENTS_V4[0]}/24`, v6: `${CLIENT_V6}/64` },
      b: { v4: `${LB_FRONT_V4}/24`, v6: `${LB_FRONT_V6}/64` },
    });
    for (const extra of CLIENTS_V4.slice(1)) await client.ip(['addr', 'add', `${extra}/24`, 'dev', 'eth0']);
    await lab.link(lb, app, { a: { v4: `${LB_BACK}/24` }, b: { v4: `${APP}/24` } });
    await lab.route(app, { to: 'default', via: LB_BACK });
    await app.addLoopbackRouting();
    await startPeerService(app, `127.0.0.1:${SERVICE_PORT}`);
    await startPeerService(app, `[::1]:${SERVICE_PORT}`);

    dir = await mkdtemp(join(tmpdir(), 'mmproxy-top-e2e-'));
    socketPath = join(dir, 'proxy.sock');
    releaseFile = join(dir, 'release');
    app.node(MMPROXY_BIN, [
      '-l',
      `${APP}:${MMPROXY_PORT}`,
      '-4',
      `127.0.0.1:${SERVICE_PORT}`,
      '-6',
      `[::1]:${SERVICE_PORT}`,
      '--stats-socket',
      socketPath,
      '--metrics-listen',
      METRICS,
      '--connect-timeout',
      `${CONNECT_TIMEOUT_S}s`,
    ]);
    await waitFor(
      'the proxy to answer on its stats socket',
      () => requestSnapshot(socketPath).catch(() => undefined),
      15_000,
    );
    await startHaproxy(lb, {
      config: tcpProxyConfig({
        bind: [
          { address: LB_FRONT_V4, port: LB_PORT },
          { address: LB_FRONT_V6, port: LB_PORT },
        ],
        servers: [{ address: APP, port: MMPROXY_PORT, sendProxy: 'v2' }],
      }),
      waitForPorts: [LB_PORT],
    });
    for (const bind of CLIENTS_V4) clients.push(await startClient(`${LB_FRONT_V4}:${LB_PORT}`, bind));
    clients.push(await startClient(`[${LB_FRONT_V6}]:${LB_PORT}`, CLIENT_V6));
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

  it('top --once shows every live flow with its real client address and port, and bytes that grow', async () => {
    // Given four busy flows through HAProxy, when top prints a frame
    const first = shownFlows(await top(['--once']));
    // Then each flow is there, under the client's own address and port
    for (const { shown } of clients)
      assert.ok(first.has(shown), `${shown} missing from:\n${[...first.keys()].join('\n')}`);
    // And a later frame shows more bytes for every one of them
    await waitFor(
      'every flow to show more bytes each way',
      async () => {
        const later = shownFlows(await top(['--once']));
        return clients.every(({ shown }) => {
          const [before, after] = [first.get(shown)!, later.get(shown)];
          return after !== undefined && after.toTarget > before.toTarget && after.toClient > before.toClient;
        });
      },
      30_000,
    );
  });

  it('the interactive view in a pseudo-terminal shows the flows and answers keys (s sorts, ? lists the keys, q quits)', async () => {
    const [one, two] = clients as [LiveClient, LiveClient];
    const escaped = (text: string): string => text.replace(/[.[\]]/g, '\\$&');
    const result = await app.exec(
      [
        'python3',
        PTY_RUN,
        '--cols',
        '100',
        '--rows',
        '30',
        '--timeout',
        '30',
        '--expect',
        escaped(one.shown),
        '--then',
        's',
        '--expect',
        'sort:bytes',
        '--then',
        '?',
        '--expect',
        'mmproxy top keys',
        '--then',
        'q',
        '--',
        process.execPath,
        MMPROXY_BIN,
        'top',
        '--stats-socket',
        socketPath,
        '--interval',
        '0.5',
      ],
      { timeoutMs: 40_000 },
    );
    assert.equal(result.code, 0, `${result.stderr}\n${result.stdout.slice(-3000)}`);
    assert.match(result.stdout, new RegExp(escaped(two.shown)));
    assert.match(result.stdout, /flows 4 active/);
  });

  it('/metrics counts exactly the traffic that was sent, once the flows end', async () => {
    // When every client finishes and reports what it sent and got back
    await writeFile(releaseFile, '');
    const results = await Promise.all(
      clients.map(async ({ process: child }) => {
        await child.exited;
        return JSON.parse(child.stdout.trim().split('\n').at(-1)!) as {
          ok: boolean;
          sentBytes: number;
          receivedBytes: number;
          bannerBytes: number;
          error?: string;
        };
      }),
    );
    for (const result of results) assert.ok(result.ok, result.error);
    // Then, once the proxy has closed them, its counters match to the byte
    const families = await waitFor('the proxy to count every flow as completed', async () => {
      const scraped = await scrape();
      return sampleValue(scraped, 'mmproxy_connections_total', { result: 'completed' }) === clients.length &&
        sampleValue(scraped, 'mmproxy_active_flows') === 0
        ? scraped
        : undefined;
    });
    const sent = results.reduce((sum, result) => sum + result.sentBytes, 0);
    const echoed = results.reduce((sum, result) => sum + result.receivedBytes + result.bannerBytes, 0);
    assert.equal(sampleValue(families, 'mmproxy_bytes_total', { direction: 'to_target' }), sent);
    assert.equal(sampleValue(families, 'mmproxy_bytes_total', { direction: 'to_client' }), echoed);
    assert.equal(sampleValue(families, 'mmproxy_connections_accepted_total'), clients.length);
    assert.equal(sampleValue(families, 'mmproxy_connections_established_total'), clients.length);
    assert.equal(sampleValue(families, 'mmproxy_connections_total', { result: 'connect_timeout' }), 0);
    assert.ok(sent > clients.length * CHUNK_BYTES, 'the clients sent more than one chunk each');
    // And each upstream connect has its duration in the histogram
    assert.equal(sampleValue(families, 'mmproxy_connect_duration_seconds_count'), clients.length);
    assert.equal(sampleValue(families, 'mmproxy_connect_duration_seconds_bucket', { le: '+Inf' }), clients.length);
    assert.ok(sampleValue(families, 'mmproxy_connect_duration_seconds_sum') > 0);
    const buckets = families
      .get('mmproxy_connect_duration_seconds')!
      .samples.filter((sample) => sample.name.endsWith('_bucket'));
    buckets.forEach((bucket, i) =>
      assert.ok(i === 0 || bucket.value >= buckets[i - 1]!.value, `cumulative at le=${bucket.labels['le']}`),
    );
  });

  it('with loopback routing gone, the failures panel names the cause and points at the doctor', async () => {
    // Given the app host loses its loopback routing: the app's SYN-ACKs now leave by the default route
    await app.removeLoopbackRouting();
    // When clients keep trying (each attempt ends when mmproxy gives up connecting and resets HAProxy's side)
    const attempts = Array.from({ length: TIMEOUT_RUN }, () =>
      exchange(client, { connect: `${LB_FRONT_V4}:${LB_PORT}`, sendBytes: 10, expectPeer: true, timeoutMs: 20_000 }),
    );
    for (const result of await Promise.all(attempts)) assert.equal(result.ok, false, 'no exchange can succeed');
    // Then top counts the timeouts and says what they mean
    const frame = await waitFor(
      'the loopback-routing hint',
      async () => {
        const text = await top(['--once']);
        return text.includes('mmproxy doctor') ? text : undefined;
      },
      30_000,
    );
    assert.match(
      frame,
      new RegExp(`^connect_timeout +${TIMEOUT_RUN} / +${TIMEOUT_RUN} upstream connect timed out; replies lost\\?`, 'm'),
    );
    assert.match(
      frame,
      new RegExp(
        `^⚠ loopback routing missing\\? run \`mmproxy doctor\` \\(${TIMEOUT_RUN} connect timeouts in a row\\)$`,
        'm',
      ),
    );
    const scraped = await scrape();
    assert.equal(sampleValue(scraped, 'mmproxy_connections_total', { result: 'connect_timeout' }), TIMEOUT_RUN);
    assert.equal(
      sampleValue(scraped, 'mmproxy_connect_duration_seconds_count'),
      clients.length,
      'timed-out connects have no duration',
    );
  });
});
