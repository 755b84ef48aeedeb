/**
 * Issue #13, "fast": how long `mmproxy doctor` takes on a healthy host, and
 * which checks the time goes to. The figures are printed, never asserted (a
 * shared machine's load decides them); the test asserts only that the host is
 * healthy, so the figure is the one of a run with nothing to diagnose.
 * Topology: ./helpers/scenarios.ts (srv with the app on 127.0.0.1 and ::1,
 * go-mmproxy's loopback recipe, a default route via gw).
 */
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';

import { assertNoLeaks, type Host, Lab } from '../../../lab/index.js';
import { printLabLogOnFailure, requireNetns } from '../support/index.js';
import { runDoctor } from './helpers/run-doctor.js';
import { buildTopology, SETUPS } from './helpers/scenarios.js';

const RUNS = 5;
const ARGS = ['-4', '127.0.0.1:8080', '-6', '[::1]:8080', '-l', '127.0.0.1:8443'];

interface Timed {
  wallMs: number;
  /** User + system CPU of the doctor process: steadier than wall time on a shared machine. */
  cpuMs: number;
  checks: { id: string; elapsedMs: number }[];
}

async function timedRun(srv: Host): Promise<Timed> {
  const started = performance.now();
  const result = await runDoctor(srv, ['--json', ...ARGS], ['/usr/bin/time', '-f', 'CPU %U %S']);
  const wallMs = performance.now() - started;
  assert.equal(result.code, 0, result.stdout);
  const { checks } = JSON.parse(result.stdout) as Pick<Timed, 'checks'>;
  const [, user, system] = /CPU ([\d.]+) ([\d.]+)/.exec(result.stderr) ?? [];
  return { wallMs, cpuMs: (Number(user) + Number(system)) * 1000, checks };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

describe('doctor speed on a healthy host (figures printed, not asserted)', function () {
  this.timeout(120_000);
  let lab: Lab;
  let srv: Host;
  before(async function () {
    requireNetns(this);
    lab = Lab.create('drspeed');
    const topology = await buildTopology(lab);
    srv = topology.srv;
    await SETUPS['healthy']!.build(srv, topology.gw);
  });
  afterEach(function () {
    printLabLogOnFailure(this, lab);
  });
  after(async function () {
    if (!lab) return;
    await lab.destroy();
    await assertNoLeaks(lab);
  });

  it(`runs ${RUNS} times, exit 0 each, and prints the wall time and the slowest checks`, async function () {
    const runs: Timed[] = [];
    for (let run = 0; run < RUNS; run++) runs.push(await timedRun(srv));
    const walls = runs.map((run) => run.wallMs);
    const cpu = runs.map((run) => run.cpuMs);
    const perCheck = new Map<string, number[]>();
    for (const run of runs)
      for (const check of run.checks) perCheck.set(check.id, [...(perCheck.get(check.id) ?? []), check.elapsedMs]);
    const slowest = [...perCheck]
      .map(([id, values]) => ({ id, ms: median(values) }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, 5);
    const load = (await srv.run(['cat', '/proc/loadavg'])).stdout.trim();
    process.stdout.write(
      `      mmproxy doctor, healthy host, ${RUNS} runs (process start included): ` +
        `median ${median(walls).toFixed(0)} ms, min ${Math.min(...walls).toFixed(0)} ms, max ${Math.max(...walls).toFixed(0)} ms; ` +
        `CPU median ${median(cpu).toFixed(0)} ms; load ${load}\n` +
        `      slowest checks (median ms, concurrent): ${slowest.map(({ id, ms }) => `${id} ${ms.toFixed(0)}`).join(', ')}\n`,
    );
  });
});
