/*
 * 1,000 abusive HTTP clients on mmproxy's --metrics-listen beside relayed traffic (issue 14): half-sent headers,
 * one byte at a time, garbage, and `GET //` (which used to throw in the handler and kill the process). The
 * relayed connections keep flowing with every byte intact, the process lives, and /metrics answers afterwards.
 * Network and tools: ./helpers/floods-lab.ts (the abusers run in the lb host, beside the load generator):
 *
 *   ┌─ lb ─────────────────────────────┐      ┌─ app ───────────────────────────────────────┐
 *   │ loadgen: PROXY v2 + echo checks ─┼──────┼→ mmproxy 192.0.2.2:85xx → backend (echo)     │
 *   │ http-abuser: 1,000 clients ──────┼──────┼→ --metrics-listen 192.0.2.2:91xx             │
 *   └──────────────────────────────────┘ veth └──────────────────────────────────────────────┘
 *
 * Throughput is printed before and during the abuse, never asserted.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';

import { stopMmproxy } from '../../../lab/mmproxy/mmproxy-process.js';
import { APP, type ConnrateResult } from './helpers/floods-lab.js';
import type { AbuseResult, ScrapeResult } from './helpers/http-abuser.js';
import { useFloodLab } from './helpers/use-flood-lab.js';

const ABUSER = fileURLToPath(new URL('./helpers/http-abuser.js', import.meta.url));
const ABUSERS = 1000;
/** Longer than the endpoint's 5 s header and keep-alive timeouts, so they fire while the abuse goes on. */
const ABUSE_MS = 15_000;
const FLOWS = 2000;
/** The load generator's largest message (scripts/bench/c/loadgen.h, MAX_MESSAGE). */
const FLOW_BYTES = 4096;

function lastJson<T>(stdout: string): T {
  return JSON.parse(stdout.trim().split('\n').pop() ?? '') as T;
}

function describeRun(run: ConnrateResult): string {
  const mbPerSecond = (run.completed * FLOW_BYTES * 2) / run.seconds / 1e6;
  return `${run.completed}/${run.attempts} flows in ${run.seconds.toFixed(2)} s: ${run.conns_per_s.toFixed(0)} flows/s, ${mbPerSecond.toFixed(1)} MB/s echoed, p99 ${run.p99_us} µs`;
}

describe('floods: 1,000 abusive HTTP clients on the metrics endpoint beside relayed flows (network namespaces)', function () {
  this.timeout(180_000);
  const t = useFloodLab('fldhttp');

  it('the data plane keeps relaying intact bytes, the process lives, and /metrics answers afterwards', async function () {
    const port = t().port();
    const metrics = `${APP}:${port + 600}`;
    const proxy = await t().mmproxy(port, ['--metrics-listen', metrics]);
    const flows = (): Promise<ConnrateResult> =>
      t().connrate(port, { count: FLOWS, slots: 20, size: FLOW_BYTES, maxSeconds: 60 });

    const before = await flows();
    const abuser = t().track(
      t().lb.node(ABUSER, ['--connect', metrics, '--clients', String(ABUSERS), '--hold-ms', String(ABUSE_MS)]),
    );
    await abuser.waitForOutput(/^STARTED$/m, 30_000, 'stdout');
    const during = await flows();
    const abuseStatus = await abuser.exited;
    assert.equal(abuseStatus.code, 0, abuser.stderr);
    const abuse = lastJson<AbuseResult>(abuser.stdout);

    assert.equal(proxy.running, true, `mmproxy died under the abuse: ${proxy.stderr}`);
    for (const [when, run] of [
      ['before', before],
      ['during', during],
    ] as const) {
      assert.equal(run.completed, FLOWS, `${when} the abuse: ${JSON.stringify(run)}`);
      assert.equal(run.corrupted, 0, `${when} the abuse: bytes changed`);
    }
    const scrape = t().lb.node(ABUSER, ['--scrape', metrics]);
    await scrape.exited;
    const answer = lastJson<ScrapeResult>(scrape.stdout);
    assert.equal(answer.status, 200, JSON.stringify(answer));
    assert.equal(answer.internalErrors, 0, 'nothing reached the last-resort handler');
    assert.deepEqual(await stopMmproxy(proxy), { code: 0, signal: null });

    console.log(`      before the abuse: ${describeRun(before)}`);
    console.log(`      during the abuse: ${describeRun(during)}`);
    console.log(
      `      ${ABUSERS} abusive clients for ${ABUSE_MS / 1000} s: connections ${JSON.stringify(abuse.connections)}, ` +
        `closed by mmproxy ${JSON.stringify(abuse.closedByServer)}, answers ${JSON.stringify(abuse.statuses)}, ` +
        `connect errors ${abuse.connectErrors}; afterwards /metrics: ${answer.status}, ${answer.bytes} bytes`,
    );
  });
});
