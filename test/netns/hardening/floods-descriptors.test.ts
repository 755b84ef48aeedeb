/*
 * The real mmproxy CLI run out of descriptors (`prlimit --nofile`, as a low `ulimit -n`): it keeps serving the
 * flows it has, backs off accepting, recovers once descriptors are free, and its log says so once — one warning
 * for both workers and every connection that met the limit — and once more when connections get through
 * again. The data plane's own behaviour is in ../dataplane-limits.test.ts; this is the CLI and its log lines.
 * Network and tools: ./floods-lab.ts.
 */
import assert from 'node:assert/strict';

import { jsonLogLines } from '../proxy/helpers/log-lines.js';
import { stopMmproxy } from '../../../lab/mmproxy/mmproxy-process.js';
import { useFloodLab } from './helpers/use-flood-lab.js';

/** Node, two workers, a few dozen flows: exhausted within a few connections. */
const OPEN_FILES = 64;
/** Left free once the held flows are up: one more flow fits, the next meet EMFILE. */
const SPARE_FDS = 2;
/** Connections arriving while mmproxy is out of descriptors. */
const EXTRA = 40;
/** After recovery: every one of these must get through, */
const RECOVERY = 200;
/** this many at a time. */
const RECOVERY_CLIENTS = 2;
const BYTES = 512;

describe('floods: the mmproxy CLI out of file descriptors (network namespaces)', function () {
  this.timeout(120_000);
  const t = useFloodLab('fldfds');

  it('serves the flows it has, backs off, recovers, and logs one warning and one "again"', async function () {
    const port = t().port();
    const proxy = await t().mmproxy(port, ['-listeners', '2', '--log-format', 'json'], { maxOpenFiles: OPEN_FILES });
    const before = await t().settledUsage(proxy.pid);
    const holding = Math.floor((OPEN_FILES - before.fds - SPARE_FDS) / 2);
    assert.ok(holding >= 4, `only ${holding} flows fit in ${OPEN_FILES} descriptors with ${before.fds} open at start`);
    const held = await t().hold(port, { conns: holding, size: BYTES });

    // More connections than descriptors: some wait in the listen queue, some are accepted and reset.
    const extra = t().connrate(port, { count: EXTRA, slots: EXTRA, size: BYTES, maxSeconds: 60 });
    await proxy.waitForOutput(/"level":"warn","kind":"accept_backoff"/, 30_000, 'stderr');
    const end = await held.release();
    assert.equal(end.intact, holding, 'every held flow was still relayed, and closed cleanly');
    const during = await extra;
    // Recovery starts once the flood is over on mmproxy's side too: connections whose clients gave up may still
    // wait in the accept queue (taken, each costs descriptors until its flow ends), and a flow's descriptors go
    // a moment after its client saw the end; a connection meeting the last of them would still be reset.
    await t().waitForEmptyAcceptQueue(port);
    await t().waitForSnapshot(port, 'done with the flood', (s) => s.counters.active === 0);
    await t().waitForUsage(proxy.pid, (u) => u.fds === before.fds);

    // A few at a time, well within what was held: a client opens its next connection as soon as it has its
    // echo, while mmproxy still holds the last one until the backend's FIN comes back (measured: 15 flows open
    // behind 9 clients on a busy machine), so each client can stand for several flows in mmproxy.
    const recovery = await t().connrate(port, {
      count: RECOVERY,
      slots: RECOVERY_CLIENTS,
      size: BYTES,
      maxSeconds: 60,
    });
    if (recovery.completed !== RECOVERY) {
      const snapshot = await t().snapshot(port);
      assert.fail(
        `after recovery: ${JSON.stringify(recovery)}; mmproxy's counters ${JSON.stringify(snapshot.counters)}; ` +
          `its log:\n${proxy.stderr.slice(-4000)}`,
      );
    }
    await proxy.waitForOutput(
      /"level":"info","kind":"accept_backoff","msg":"accepting connections again"/,
      10_000,
      'stderr',
    );
    const idle = await t().waitForSnapshot(port, 'idle', (s) => s.counters.active === 0);
    const exhausted = idle.counters.acceptErrors + idle.counters.failures.connect_error;
    assert.ok(exhausted > 0, 'accept() or socket() met the limit');
    const after = await t().waitForUsage(proxy.pid, (u) => u.fds === before.fds);
    assert.equal(after.fds, before.fds, 'every descriptor given back');
    assert.deepEqual(await stopMmproxy(proxy), { code: 0, signal: null });

    const lines = jsonLogLines(proxy.stderr);
    const backoff = lines.filter((line) => line.kind === 'accept_backoff');
    console.log(
      `      descriptors: limit ${OPEN_FILES}, ${before.fds} open at start, ${holding} flows held; ${EXTRA} more connections ` +
        `meanwhile: ${during.completed} served, ${during.closed_early} reset, ${during.timeouts} gave up waiting; ` +
        `${idle.counters.acceptErrors} accept() and ${idle.counters.failures.connect_error} socket() failures; ` +
        `${RECOVERY}/${RECOVERY} served after; log: ${lines.length} lines, ${backoff.map((line) => `${line.level} "${line.msg}"`).join(', ')}`,
    );
    assert.deepEqual(
      backoff.map((line) => line.level),
      ['warn', 'info'],
      'one warning, one "again", for both workers',
    );
    assert.match(backoff[0]?.msg ?? '', /Too many open files; pausing accepts .*raise the open-files limit/);
    assert.equal(backoff[0]?.['code'], 'EMFILE');
    const others = lines.filter(
      (line) => !['any_peer', 'listening', 'accept_backoff', 'stopping', 'draining', 'stopped'].includes(line.kind),
    );
    assert.deepEqual(others, [], 'no line per connection');
  });
});
