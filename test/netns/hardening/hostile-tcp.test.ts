/*
 * Hostile bytes at mmproxy's TCP port, against the real CLI in network namespaces (topology: hostile-lab.ts).
 * Each class of attack (hostile-tcp-cases.ts) must end every connection from the proxy's side (a reset: the
 * load balancer must see an abort) and move exactly its counters; after each class no flow but the legitimate
 * one is left and the descriptors are back to their baseline. A legitimate flow runs through all of it and
 * must get every byte back, in order; at the end mmproxy exits 0 on SIGTERM. Figures are printed at the end.
 * Replay a failing random run with HOSTILE_SEED=<seed>.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { type HostProcess } from '../../../lab/index.js';
import { printLabLogOnFailure, requireNetns, requireProgram } from '../support/index.js';
import { stopMmproxy } from '../../../lab/mmproxy/mmproxy-process.js';
import { v2Inet } from './helpers/hostile-bytes.js';
import { APP, HostileLab, PROXY_PORT, SCRIPTS } from './helpers/hostile-lab.js';
import { randomTcpCase, type TcpCase, tcpCases } from './helpers/hostile-tcp-cases.js';
import { bump, type Counts, delta, type FdCount, ProxyWatch } from './helpers/proxy-watch.js';
import { chooseSeed } from './helpers/random-headers.js';
import type { SteadyResult } from './helpers/steady-client.js';
import type { Delivery, TcpSendReport } from './helpers/tcp-hostile-sender.js';

/** How the sender sees each connection end, per delivery. */
const OUTCOME: Record<Delivery, string> = {
  fin: 'closed:reset',
  hold: 'closed:reset',
  echo: 'echoed',
  reset: 'self-reset',
  'reset-after-banner': 'self-reset-after-banner',
};
const RANDOM_CONNECTIONS = 3_000;
const DEFAULT_CONCURRENCY = 32;
const CONNECTION_TIMEOUT_MS = 20_000;

interface Figure {
  name: string;
  connections: number;
  outcomes: Record<string, number>;
  moved: Counts;
  fds: FdCount;
}

describe('hostile input at the TCP port: the mmproxy CLI (network namespaces)', function () {
  this.timeout(90_000);
  const seed = chooseSeed();
  const random = randomTcpCase(seed, RANDOM_CONNECTIONS);
  const cases: TcpCase[] = [...tcpCases(), random];
  const figures: Figure[] = [];
  let net: HostileLab | undefined;
  let proxy: HostProcess;
  let watch: ProxyWatch;
  let steady: HostProcess;
  let legitFlow: number[] = [];
  let baseline: FdCount;
  let start: Counts;
  const expectedTotal: Counts = {};

  before(async function () {
    this.timeout(60_000);
    requireNetns(this);
    requireProgram(this, '/usr/sbin/nft', 'nftables');
    console.log(
      `      HOSTILE_SEED=${seed} (${random.connections.length} random inputs kept of ${random.drawn} drawn)`,
    );
    net = new HostileLab('hostile');
    await net.build('tcp');
    const started = await net.mmproxy('tcp', ['--header-timeout', '1s']);
    proxy = started.process;
    watch = await ProxyWatch.attach(started.statsSocket);
    const header = v2Inet({ address: '198.51.100.200', port: 41_000 });
    steady = net.lb.node(SCRIPTS.steadyClient, [
      '--connect',
      `${APP}:${PROXY_PORT}`,
      '--header-hex',
      header.toString('hex'),
      '--release-file',
      join(net.dir, 'release'),
    ]);
    await steady.waitForOutput(/^READY$/m, 10_000, 'stdout');
    const first = await watch.snapshot();
    legitFlow = first.flows.map((flow) => flow.id);
    assert.equal(legitFlow.length, 1, 'the legitimate flow is open');
    baseline = await watch.quietFds();
    start = (await watch.settle(legitFlow, baseline)).counts;
  });
  afterEach(function () {
    if (net) printLabLogOnFailure(this, net.lab);
  });
  after(async function () {
    printFigures(seed, baseline, figures);
    await net?.destroy();
  });

  for (const hostile of cases) {
    it(hostile.name, async function () {
      const before = (await watch.settle(legitFlow, baseline)).counts;
      const plan = await net!.plan({
        delivery: hostile.delivery,
        pieces: hostile.pieces,
        concurrency: hostile.concurrency ?? DEFAULT_CONCURRENCY,
        timeoutMs: CONNECTION_TIMEOUT_MS,
        connections: hostile.connections.map((c) => ({
          hex: c.bytes.toString('hex'),
          echoHex: c.echo?.toString('hex'),
        })),
      });
      const run = await net!.lb.exec(
        [process.execPath, SCRIPTS.tcpSender, '--connect', `${APP}:${PROXY_PORT}`, '--plan', plan],
        { timeoutMs: 80_000 },
      );
      assert.equal(run.code, 0, run.stderr);
      const report = JSON.parse(run.stdout.trim().split('\n').pop() ?? '') as TcpSendReport;

      const expected: Counts = {};
      const accepted = hostile.connections.filter((c) => !c.neverAccepted).length;
      if (accepted > 0) bump(expected, ['accepted'], accepted);
      for (const connection of hostile.connections) bump(expected, connection.counts);
      for (const [key, value] of Object.entries(expected)) bump(expectedTotal, [key], value);
      const after = await watch.settle(legitFlow, baseline, (counts) => sameCounts(delta(before, counts), expected));
      const moved = delta(before, after.counts);
      figures.push({
        name: hostile.name,
        connections: hostile.connections.length,
        outcomes: report.outcomes,
        moved,
        fds: after.fds,
      });

      assert.deepEqual(
        report.outcomes,
        { [OUTCOME[hostile.delivery]]: hostile.connections.length },
        'how the connections ended',
      );
      if (hostile.cutShort)
        assert.equal(report.sentWhole, 0, 'a slow header got out whole before the header timeout closed it');
      assert.deepEqual(moved, expected, 'counters moved by exactly this class');
      assert.equal(proxy.running, true, 'mmproxy is still running');
    });
  }

  it('after all of it: the legitimate flow got every byte back in order, totals add up, exit 0 on SIGTERM', async function () {
    const settled = await watch.settle(legitFlow, baseline);
    assert.deepEqual(
      delta(start, settled.counts),
      delta({}, expectedTotal),
      'totals over the whole run: nothing counted late',
    );
    await writeFile(join(net!.dir, 'release'), '');
    await steady.exited;
    const result = JSON.parse(steady.stdout.trim().split('\n').pop() ?? '') as SteadyResult;
    figures.push({
      name: `legitimate flow (${result.slices} slices during the run)`,
      connections: 1,
      outcomes: { [result.ok ? 'intact' : 'broken']: 1 },
      moved: { sentBytes: result.sentBytes, receivedBytes: result.receivedBytes },
      fds: settled.fds,
    });
    assert.equal(result.ok, true, result.error);
    assert.equal(result.banner, 'PEER 198.51.100.200 41000');
    const closed = await watch.settle([], null);
    figures.push({
      name: 'after the legitimate flow closed',
      connections: 0,
      outcomes: {},
      moved: delta(start, closed.counts),
      fds: closed.fds,
    });
    assert.deepEqual(await stopMmproxy(proxy), { code: 0, signal: null });
    const lines = proxy.stderr.trim().split('\n').length;
    figures.push({
      name: `mmproxy's log: ${lines} lines (rate-limited) for the whole run`,
      connections: 0,
      outcomes: {},
      moved: {},
      fds: closed.fds,
    });
  });
});

function sameCounts(a: Counts, b: Counts): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((key) => (a[key] ?? 0) === (b[key] ?? 0));
}

function printFigures(seed: number, baseline: FdCount | undefined, figures: Figure[]): void {
  console.log(
    `\n      hostile TCP figures (HOSTILE_SEED=${seed}; descriptors at baseline ${JSON.stringify(baseline)}):`,
  );
  for (const figure of figures) {
    console.log(`      - ${figure.name}: ${figure.connections} connections; ended ${JSON.stringify(figure.outcomes)}`);
    console.log(`          moved ${JSON.stringify(figure.moved)}; descriptors after ${JSON.stringify(figure.fds)}`);
  }
}
