/*
 * Hostile datagrams at `mmproxy -p udp`, against the real CLI in network namespaces (topology: hostile-lab.ts).
 * Each class (hostile-udp-cases.ts) must be dropped and counted exactly under its code, open no session and
 * leave the descriptors at their baseline. One legitimate session runs through all of it: the sender probes it
 * after every burst and must get each answer back intact (which also paces the run below the socket buffer, so
 * the kernel drops nothing the counts rely on). At the end mmproxy exits 0 on SIGTERM. Figures are printed at
 * the end; replay a failing random run with HOSTILE_SEED=<seed>.
 */
import assert from 'node:assert/strict';

import { type HostProcess } from '../../../lab/index.js';
import { printLabLogOnFailure, requireNetns, requireProgram } from '../support/index.js';
import { stopMmproxy } from '../../../lab/mmproxy/mmproxy-process.js';
import { APP, HostileLab, PROXY_PORT, SCRIPTS } from './helpers/hostile-lab.js';
import { dgram, PROBE_CLIENT, randomUdpCase, type UdpCase, udpCases } from './helpers/hostile-udp-cases.js';
import { bump, type Counts, delta, type FdCount, ProxyWatch } from './helpers/proxy-watch.js';
import { chooseSeed } from './helpers/random-headers.js';
import type { UdpPlan, UdpSendReport } from './helpers/udp-hostile-sender.js';

const RANDOM_DATAGRAMS = 2_000;
/** The sender's own port: the legitimate session is keyed on it, so every run reuses that session. */
const SENDER_PORT = 5_555;
/** Far below the default socket buffer (about 208 KiB), counting the kernel's overhead per datagram. */
const BURST_DATAGRAMS = 32;
const BURST_BYTES = 48 * 1024;
const PROBE_TIMEOUT_MS = 5_000;

interface Figure {
  name: string;
  datagrams: number;
  probes: string;
  moved: Counts;
  fds: FdCount;
}

describe('hostile datagrams at the UDP port: the mmproxy CLI (network namespaces)', function () {
  this.timeout(60_000);
  const seed = chooseSeed();
  const random = randomUdpCase(seed, RANDOM_DATAGRAMS);
  const cases: UdpCase[] = [...udpCases(), random];
  const figures: Figure[] = [];
  let net: HostileLab | undefined;
  let proxy: HostProcess;
  let watch: ProxyWatch;
  let session: number[] = [];
  let baseline: FdCount;
  let start: Counts;
  const expectedTotal: Counts = {};

  async function send(hostile: Pick<UdpCase, 'datagrams' | 'probeHeader' | 'extraProbes'>): Promise<UdpSendReport> {
    const plan: UdpPlan = {
      datagrams: hostile.datagrams.map((d) => d.bytes.toString('hex')),
      probeHeaderHex: (hostile.probeHeader ?? dgram(PROBE_CLIENT)).toString('hex'),
      probeReplyPrefix: `PEER ${PROBE_CLIENT.address} ${PROBE_CLIENT.port}\n`,
      extraProbes: hostile.extraProbes ?? 0,
      burstDatagrams: BURST_DATAGRAMS,
      burstBytes: BURST_BYTES,
      probeTimeoutMs: PROBE_TIMEOUT_MS,
    };
    const run = await net!.lb.exec(
      [
        process.execPath,
        SCRIPTS.udpSender,
        '--to',
        `${APP}:${PROXY_PORT}`,
        '--bind-port',
        String(SENDER_PORT),
        '--plan',
        await net!.plan(plan),
      ],
      { timeoutMs: 50_000 },
    );
    assert.equal(run.code, 0, run.stderr);
    return JSON.parse(run.stdout.trim().split('\n').pop() ?? '') as UdpSendReport;
  }

  before(async function () {
    this.timeout(60_000);
    requireNetns(this);
    requireProgram(this, '/usr/sbin/nft', 'nftables');
    console.log(
      `      HOSTILE_SEED=${seed} (${random.datagrams.length} random datagrams kept of ${random.drawn} drawn)`,
    );
    net = new HostileLab('hostudp');
    await net.build('udp');
    const started = await net.mmproxy('udp', ['-close-after', '600']);
    proxy = started.process;
    watch = await ProxyWatch.attach(started.statsSocket);
    // Opens the legitimate session before the counts start.
    const warmUp = await send({ datagrams: [] });
    assert.deepEqual(warmUp.problems, []);
    session = (await watch.snapshot()).flows.map((flow) => flow.id);
    assert.equal(session.length, 1, 'the legitimate session is open');
    baseline = await watch.quietFds();
    start = (await watch.settle(session, baseline)).counts;
  });
  afterEach(function () {
    if (net) printLabLogOnFailure(this, net.lab);
  });
  after(async function () {
    console.log(
      `\n      hostile UDP figures (HOSTILE_SEED=${seed}; descriptors at baseline ${JSON.stringify(baseline)}):`,
    );
    for (const f of figures) {
      console.log(`      - ${f.name}: ${f.datagrams} datagrams; probes answered ${f.probes}`);
      console.log(`          moved ${JSON.stringify(f.moved)}; descriptors after ${JSON.stringify(f.fds)}`);
    }
    await net?.destroy();
  });

  for (const hostile of cases) {
    it(hostile.name, async function () {
      const before = (await watch.settle(session, baseline)).counts;
      const report = await send(hostile);
      const expected: Counts = {};
      for (const datagram of hostile.datagrams) bump(expected, datagram.counts);
      for (const [key, value] of Object.entries(expected)) bump(expectedTotal, [key], value);
      // The last probe's answer came after every datagram was handled: no waiting for counts.
      const after = await watch.settle(session, baseline);
      const moved = delta(before, after.counts);
      figures.push({
        name: hostile.name,
        datagrams: report.sent,
        probes: `${report.probesAnswered}/${report.probes}`,
        moved,
        fds: after.fds,
      });

      assert.equal(report.sent, hostile.datagrams.length);
      assert.deepEqual(report.problems, [], 'the legitimate session kept answering, intact');
      assert.deepEqual(moved, expected, 'counters moved by exactly this class, and no session opened');
      assert.equal(proxy.running, true, 'mmproxy is still running');
    });
  }

  it('after all of it: totals add up, the session is the only one, exit 0 on SIGTERM', async function () {
    const settled = await watch.settle(session, baseline);
    assert.deepEqual(
      delta(start, settled.counts),
      delta({}, expectedTotal),
      'totals over the whole run: nothing counted late',
    );
    assert.deepEqual(await stopMmproxy(proxy), { code: 0, signal: null });
    const lines = proxy.stderr.trim().split('\n').length;
    figures.push({
      name: `mmproxy's log: ${lines} lines (rate-limited) for the whole run`,
      datagrams: 0,
      probes: '-',
      moved: {},
      fds: settled.fds,
    });
  });
});
