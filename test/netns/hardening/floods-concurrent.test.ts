/*
 * 10,000 concurrent flows through the real mmproxy CLI: each proven by its own bytes echoed both ways, all held at
 * once and shown by the stats socket, then all closed cleanly, every descriptor given back. Network and tools:
 * ./floods-lab.ts (load generator → mmproxy → echo backend).
 */
import assert from 'node:assert/strict';

import { BACKEND } from './helpers/floods-lab.js';
import { useFloodLab } from './helpers/use-flood-lab.js';
import { mib, openFilesLimit, usage } from './helpers/process-usage.js';

const WANTED_FLOWS = 10_000;
/** A flow holds the load balancer's socket and the upstream one (pipes only while bytes wait: none here). */
const FDS_PER_FLOW = 2;
/** Descriptors mmproxy may open during the test beside the flows: stats clients, log writes. */
const SPARE_FDS = 16;
/** Sent by each flow and echoed back. */
const BYTES = 1000;
const SPOOFED = /^198\.51\.100\.\d+$/;

/** As many flows as wanted, or as the open-files limit allows, and a sentence saying which and why. */
function concurrentFlows(limit: number, openAtStart: number): { flows: number; why: string } {
  const allowed = Math.floor((limit - openAtStart - SPARE_FDS) / FDS_PER_FLOW);
  const arithmetic = `(${limit} open-files limit − ${openAtStart} open at start − ${SPARE_FDS} spare) / ${FDS_PER_FLOW} per flow = ${allowed}`;
  return allowed >= WANTED_FLOWS
    ? { flows: WANTED_FLOWS, why: `${WANTED_FLOWS} flows, as wanted (${arithmetic})` }
    : {
        flows: allowed,
        why: `${allowed} flows, not ${WANTED_FLOWS}: mmproxy's ${arithmetic}; a higher hard limit (ulimit -Hn) runs all ${WANTED_FLOWS}`,
      };
}

describe('floods: 10,000 concurrent flows through the mmproxy CLI (network namespaces)', function () {
  this.timeout(180_000);
  const t = useFloodLab('fldconc');

  it('relays every flow both ways, shows them all, closes them all and gives back every descriptor', async function () {
    const port = t().port();
    const proxy = await t().mmproxy(port, ['-listeners', '2']);
    // The stats server's first client: what it allocates once belongs to the baseline.
    await t().snapshot(port);
    const before = await t().settledUsage(proxy.pid);
    const { soft } = await openFilesLimit(proxy.pid);
    const { flows, why } = concurrentFlows(soft, before.fds);
    console.log(`      concurrent: ${why}`);

    // Each connection sends its own bytes and checks the echo; the generator stops if one fails.
    const held = await t().hold(port, { conns: flows, size: BYTES });
    assert.equal(held.opened.established, flows);

    const holding = await usage(proxy.pid);
    const snapshot = await t().snapshot(port);
    const { counters } = snapshot;
    assert.equal(counters.active, flows);
    assert.equal(counters.established, flows);
    assert.equal(snapshot.flows.length + snapshot.flowsOmitted, flows, 'every flow listed or counted as omitted');
    const unlike = snapshot.flows.filter(
      (flow) =>
        flow.state !== 'established' ||
        flow.bytesToTarget !== BYTES ||
        flow.bytesToClient !== BYTES ||
        !SPOOFED.test(flow.client?.address ?? ''),
    );
    assert.deepEqual(unlike, [], 'each listed flow: established, its bytes both ways, a client from the header');
    assert.equal(holding.fds, before.fds + FDS_PER_FLOW * flows, 'two descriptors a flow, no more');
    const spoofed = await t().app.sh(`ss -tnH state established src ${BACKEND} | grep -c ' 198\\.51\\.100\\.'`);
    assert.equal(Number(spoofed.stdout), flows, 'the backend sees every flow from its client address');

    // One more echo on every flow, then each closes: the client half-closes and reads to mmproxy's FIN.
    const end = await held.release();
    assert.equal(end.intact, flows, 'every flow echoed its last bytes and closed cleanly');
    const closed = await t().waitForSnapshot(port, 'all flows closed', (s) => s.counters.active === 0, 60_000);
    assert.equal(closed.counters.accepted, flows);
    assert.equal(closed.counters.completed, flows, 'every flow ended with a FIN both ways');
    assert.deepEqual(
      Object.entries(closed.counters.failures).filter(([, n]) => n > 0),
      [],
    );
    const after = await t().waitForUsage(proxy.pid, (u) => u.fds === before.fds);
    assert.equal(after.fds, before.fds, 'every descriptor given back');

    console.log(
      `      concurrent: ${flows} flows open in ${held.opened.open_seconds.toFixed(1)} s, closed in ${end.seconds.toFixed(1)} s; ` +
        `mmproxy fds ${before.fds} → ${holding.fds} → ${after.fds}, RSS ${mib(before.rssKiB)} → ${mib(holding.rssKiB)} → ` +
        `${mib(after.rssKiB)} (${Math.round(((holding.rssKiB - before.rssKiB) * 1024) / flows)} bytes a flow held)`,
    );
  });
});
