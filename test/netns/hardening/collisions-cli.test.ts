/*
 * Address collisions through the real `mmproxy` CLI: the `--collision` flag,
 * the (rate-limited) log lines, the stats socket, /metrics and the closing
 * totals line. The data plane's side is in ./collisions.test.ts.
 *
 *   ┌── app (lo: loopback routing, table 123) ───────────────────────────────────────────────────┐
 *   │  load balancer A 127.0.0.2 ─┐ header: client 198.51.100.40:432xx                           │
 *   │                              ├─▶ mmproxy 127.0.0.1:86xx ──spoofed──▶ peer-service :7410 tcp │
 *   │  load balancer B 127.0.0.3 ─┘   --metrics-listen 127.0.0.1:96xx       peer-service :7411 udp │
 *   │                                 --stats-socket $TMP/…                                       │
 *   └───────────────────────────────────────────────────────────────────────────────────────────┘
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { requestSnapshot } from '../../../src/stats/client.js';
import { eventually } from '../dataplane/harness/driver.js';
import { v2 } from '../dataplane/harness/headers.js';
import { runClient, startClient } from '../dataplane/harness/peers.js';
import { parsePeerReply, proxied, sendDatagrams } from '../dataplane/harness/udp.js';
import {
  assertNoLeaks,
  type Host,
  type HostProcess,
  Lab,
  payload,
  sha256,
  startPeerService,
} from '../../../lab/index.js';
import { printLabLogOnFailure, requireNetns } from '../support/index.js';
import { startMmproxy, stopMmproxy } from '../../../lab/mmproxy/mmproxy-process.js';
import { parseExposition, sampleValue } from '../../support/prometheus-parser.js';

const BURST_CLIENT = fileURLToPath(new URL('../../../lab/services/burst-client.js', import.meta.url));
const CLIENT = '198.51.100.40';
const LB_A = '127.0.0.2';
const LB_B = '127.0.0.3';
const TCP_SERVICE = 7410;
const UDP_SERVICE = 7411;
const HELD_BYTES = 64 * 1024;
/** More refusals than the log's 20 lines a second of one kind, all at once. */
const FLOOD = 40;

interface LogLine {
  level: string;
  kind: string;
  msg: string;
  client?: string;
  lb?: string;
  target?: string;
  code?: string;
  suppressed?: number;
  [field: string]: unknown;
}

describe('hardening: address collisions through the mmproxy CLI', function () {
  this.timeout(60_000);
  let lab: Lab;
  let app: Host;
  let dir = '';
  let nextPort = 0;
  let proxy: HostProcess | undefined;

  before(async function () {
    requireNetns(this);
    lab = Lab.create('collcli');
    app = await lab.host('app');
    await app.addLoopbackRouting();
    await startPeerService(app, `127.0.0.1:${TCP_SERVICE}`);
    await startPeerService(app, `127.0.0.1:${UDP_SERVICE}`, { udp: true });
    dir = await mkdtemp(join(tmpdir(), 'mmproxy-collisions-'));
  });
  beforeEach(function () {
    nextPort++;
  });
  afterEach(async function () {
    printLabLogOnFailure(this, lab);
    if (proxy?.running) await proxy.stop();
    proxy = undefined;
  });
  after(async function () {
    if (dir) await rm(dir, { recursive: true, force: true });
    if (!lab) return;
    await lab.destroy();
    await assertNoLeaks(lab);
  });

  const ports = () => ({ listen: 8600 + nextPort, metrics: 9600 + nextPort, client: 43200 + nextPort });
  const header = (clientPort: number): Buffer =>
    v2({ source: CLIENT, sourcePort: clientPort, destination: '192.0.2.10', destinationPort: 443 });

  async function mmproxy(flags: string[]): Promise<HostProcess> {
    const { listen, metrics } = ports();
    proxy = await startMmproxy(app, [
      '-l',
      `127.0.0.1:${listen}`,
      '-4',
      `127.0.0.1:${TCP_SERVICE}`,
      '-listeners',
      '1',
      '--log-format',
      'json',
      '--stats-socket',
      join(dir, `${listen}.sock`),
      '--metrics-listen',
      `127.0.0.1:${metrics}`,
      ...flags,
    ]);
    return proxy;
  }

  async function scrape(): Promise<ReturnType<typeof parseExposition>> {
    const script = `fetch('http://127.0.0.1:${ports().metrics}/metrics').then((r) => r.text()).then((t) => process.stdout.write(t))`;
    const { stdout } = await app.run([process.execPath, '-e', script]);
    return parseExposition(stdout);
  }

  /** Stops mmproxy and returns its JSON log lines; the last one is the closing totals. */
  async function stopAndReadLog(child: HostProcess): Promise<LogLine[]> {
    assert.deepEqual(await stopMmproxy(child), { code: 0, signal: null });
    return child.stderr
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as LogLine);
  }

  /** Load balancer A's flow, held open until released. */
  async function holdFirstFlow(clientPort: number) {
    const releaseFile = join(dir, `release-${clientPort}`);
    const first = startClient(app, {
      connect: `127.0.0.1:${ports().listen}`,
      header: header(clientPort),
      mode: 'hold',
      sendBytes: HELD_BYTES,
      bind: LB_A,
      releaseFile,
    });
    await eventually('the first flow to be established', async () => {
      const snapshot = await requestSnapshot(join(dir, `${ports().listen}.sock`));
      return snapshot.flows.find((flow) => flow.state === 'established' && flow.client?.port === clientPort);
    });
    return { first, release: () => writeFile(releaseFile, '') };
  }

  async function assertFirstFlowIntact(
    held: Awaited<ReturnType<typeof holdFirstFlow>>,
    clientPort: number,
  ): Promise<void> {
    await held.release();
    const { first } = held;
    const [line] = await first.waitForOutput(/^\{"ended".*$/m, 30_000);
    const result = JSON.parse(line) as { ended: string; peer: unknown; receivedSha256: string };
    assert.equal(result.ended, 'eof');
    assert.deepEqual(result.peer, { address: CLIENT, port: clientPort });
    assert.equal(result.receivedSha256, sha256(payload(HELD_BYTES)));
  }

  it(`refuses by default: ${FLOOD} colliding connections are reset, counted in the stats and /metrics, logged as a few lines and a count`, async function () {
    const { listen, client } = ports();
    const child = await mmproxy([]);
    const held = await holdFirstFlow(client);
    const burst = await app.run(
      [
        process.execPath,
        BURST_CLIENT,
        '--connect',
        `127.0.0.1:${listen}`,
        '--header-hex',
        header(client).toString('hex'),
        '--count',
        String(FLOOD),
        '--bind',
        LB_B,
      ],
      { timeoutMs: 20_000 },
    );
    assert.deepEqual(JSON.parse(burst.stdout), { ECONNRESET: FLOOD }, 'every colliding connection is reset');

    const snapshot = await requestSnapshot(join(dir, `${listen}.sock`));
    assert.equal(snapshot.counters.failures.address_in_use, FLOOD);
    assert.equal(snapshot.counters.collisionFallbacks, 0);
    const metrics = await scrape();
    assert.equal(sampleValue(metrics, 'mmproxy_connections_total', { result: 'address_in_use' }), FLOOD);
    assert.equal(sampleValue(metrics, 'mmproxy_collision_fallbacks_total'), 0);
    await assertFirstFlowIntact(held, client);

    const lines = await stopAndReadLog(child);
    const refused = lines.filter((line) => line.kind === 'address_in_use');
    const shown = refused.filter((line) => line.suppressed === undefined);
    const suppressed = refused.reduce((sum, line) => sum + (line.suppressed ?? 0), 0);
    const figures = `${shown.length} shown, ${suppressed} suppressed`;
    assert.ok(shown.length > 0, figures);
    assert.equal(shown.length + suppressed, FLOOD, `every refusal is either shown or counted: ${figures}`);
    for (const line of shown) {
      assert.equal(line.level, 'error');
      assert.equal(line.client, `${CLIENT}:${client}`);
      assert.equal(line.target, `127.0.0.1:${TCP_SERVICE}`);
      assert.match(line.lb ?? '', /^127\.0\.0\.3:\d+$/);
      assert.equal(line.code, 'EADDRNOTAVAIL');
      assert.match(
        line.msg,
        new RegExp(`^client address ${CLIENT}:${client} is taken for 127\\.0\\.0\\.1:${TCP_SERVICE}: `),
      );
      assert.match(line.msg, /Run with --collision ephemeral-port/);
    }
    assert.equal(lines.at(-1)?.kind, 'stopped');
    assert.equal(lines.at(-1)?.['failed_address_in_use'], FLOOD);
    console.log(`      ${FLOOD} collisions: ${figures}; first line: ${JSON.stringify(shown[0]?.msg)}`);
  });

  it('--collision ephemeral-port: the second load balancer gets through from another port, logged and counted', async function () {
    const { listen, client } = ports();
    const child = await mmproxy(['--collision', 'ephemeral-port']);
    const held = await holdFirstFlow(client);
    const second = await runClient(app, {
      connect: `127.0.0.1:${listen}`,
      header: header(client),
      sendBytes: 3000,
      bind: LB_B,
    });
    assert.equal(second.ended, 'eof');
    assert.equal(second.peer?.address, CLIENT);
    assert.notEqual(second.peer?.port, client);
    assert.equal(second.receivedSha256, sha256(payload(3000)));
    assert.equal(sampleValue(await scrape(), 'mmproxy_collision_fallbacks_total'), 1);
    await assertFirstFlowIntact(held, client);

    const lines = await stopAndReadLog(child);
    const fallback = lines.filter((line) => line.kind === 'collision_fallback');
    assert.equal(fallback.length, 1, JSON.stringify(lines));
    assert.equal(fallback[0]?.level, 'warn');
    assert.equal(fallback[0]?.client, `${CLIENT}:${client}`);
    assert.match(
      fallback[0]?.msg ?? '',
      new RegExp(`connected from port ${second.peer?.port} instead \\(--collision ephemeral-port\\)`),
    );
    assert.equal(lines.at(-1)?.['collision_fallbacks'], 1);
    assert.equal(lines.at(-1)?.['failed_address_in_use'], undefined);
  });

  it("-p udp refuses the second load balancer's session with the same log line and counter", async function () {
    const { listen, client } = ports();
    const child = await mmproxy(['-p', 'udp', '-4', `127.0.0.1:${UDP_SERVICE}`]);
    const datagram = (text: string): Buffer => proxied({ address: CLIENT, port: client }, text);
    const send = (from: string, text: string, expect: number) =>
      sendDatagrams(app, { from, fromPort: 6201, to: `127.0.0.1:${listen}`, datagrams: [datagram(text)], expect });
    assert.deepEqual(parsePeerReply((await send(LB_A, 'a1', 1)).replies[0]?.text ?? ''), {
      address: CLIENT,
      port: client,
      payload: 'a1',
    });
    await send(LB_B, 'b1', 0);
    await eventually('the refusal to be counted', async () =>
      (await requestSnapshot(join(dir, `${listen}.sock`))).counters.failures.address_in_use === 1 ? true : undefined,
    );
    assert.deepEqual(parsePeerReply((await send(LB_A, 'a2', 1)).replies[0]?.text ?? ''), {
      address: CLIENT,
      port: client,
      payload: 'a2',
    });

    const lines = await stopAndReadLog(child);
    const refused = lines.filter((line) => line.kind === 'address_in_use');
    assert.equal(refused.length, 1, JSON.stringify(lines));
    assert.equal(refused[0]?.client, `${CLIENT}:${client}`);
    assert.equal(refused[0]?.lb, `${LB_B}:6201`);
    assert.match(
      refused[0]?.msg ?? '',
      /another load balancer's session sends from it; dropped the datagram\. .*--collision ephemeral-port/,
    );
    assert.equal(lines.at(-1)?.['failed_address_in_use'], 1);
  });
});
