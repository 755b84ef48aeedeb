/*
 * The mmproxy process around the data path, for real in namespaces: allowed subnets and SIGHUP reloads,
 * SIGTERM draining, exit codes, -listen-transparent, and how a flood is logged. Topology:
 * lab/mmproxy/topology.ts (client → lb with HAProxy → app with mmproxy + service).
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { exchange, payload, sha256 } from '../../../lab/index.js';
import { startHeldClient } from './helpers/held-client-process.js';
import { floodLogged, jsonLogLines } from './helpers/log-lines.js';
import { MMPROXY_BIN, startMmproxy, stopMmproxy, waitUntilNotListening } from '../../../lab/mmproxy/mmproxy-process.js';
import { useProxyTopology } from './helpers/use-proxy-topology.js';
import { APP, CLIENT_V4, BYTES, LB_FRONT_V4, SERVICE_PORT } from '../../../lab/mmproxy/topology.js';

describe('mmproxy process: subnets, signals, exit codes, logs (network namespaces)', function () {
  this.timeout(60_000);
  const t = useProxyTopology('proxylc');

  /** A client exchange that must not reach the service. */
  async function assertRefused(lbPort: number, why: string): Promise<void> {
    const result = await exchange(t().client, {
      connect: `${LB_FRONT_V4}:${lbPort}`,
      sendBytes: 10,
      expectPeer: true,
      timeoutMs: 8_000,
    });
    assert.equal(result.ok, false, why);
  }

  it('-allowed-subnets rejects load balancers not listed, and SIGHUP reloads the file without dropping flows', async function () {
    const port = t().ports();
    const file = join(t().dir, `lbs-${port.mmproxy}.txt`);
    await writeFile(file, '# not the load balancer\n198.51.100.0/24\n');
    const proxy = await t().mmproxy(port.mmproxy, ['-allowed-subnets', file, '-v', '1']);
    await t().haproxy(port.lb, [{ address: APP, port: port.mmproxy, sendProxy: 'v1' }]);

    await assertRefused(port.lb, 'a load balancer outside the allowed subnets got through');
    await proxy.waitForOutput(/not_allowed: .*lb=192\.0\.2\.1:/, 5_000, 'stderr');

    await writeFile(file, '198.51.100.0/24\n192.0.2.1/32 # lb\n');
    proxy.kill('SIGHUP');
    await proxy.waitForOutput(/reload: SIGHUP: now allowing 2 subnets/, 5_000, 'stderr');
    await t().assertClientSeen(port.lb, 4);

    // A flow open across the next reloads must not be dropped, even by one that shrinks the list.
    const held = await startHeldClient(
      t().client,
      `${LB_FRONT_V4}:${port.lb}`,
      join(t().dir, `release-${port.mmproxy}`),
      BYTES,
    );
    t().track(held.process);
    await writeFile(file, '192.0.2.1/32\nnot-a-prefix\n');
    proxy.kill('SIGHUP');
    await proxy.waitForOutput(
      /reload_failed: SIGHUP: .*:2: "not-a-prefix" .*still allowing the previous 2 subnets$/m,
      5_000,
      'stderr',
    );
    await t().assertClientSeen(port.lb, 4);
    await writeFile(file, '198.51.100.0/24\n');
    proxy.kill('SIGHUP');
    await proxy.waitForOutput(/reload: SIGHUP: now allowing 1 subnet from/, 5_000, 'stderr');
    const result = await held.release();
    assert.equal(result.ok, true, result.error);
    assert.deepEqual(result.receivedSha256, [sha256(payload(BYTES))]);
    await assertRefused(port.lb, 'the reloaded, shorter list was not applied to new connections');
    assert.deepEqual(await stopMmproxy(proxy), { code: 0, signal: null });
  });

  it('SIGTERM stops accepting, lets the open flow finish, then exits 0', async function () {
    const port = t().ports();
    const proxy = await t().mmproxy(port.mmproxy, ['--drain-timeout', '30s']);
    await t().haproxy(port.lb, [{ address: APP, port: port.mmproxy, sendProxy: 'v2' }]);
    const held = await startHeldClient(
      t().client,
      `${LB_FRONT_V4}:${port.lb}`,
      join(t().dir, `release-${port.mmproxy}`),
      BYTES,
    );
    t().track(held.process);

    proxy.kill('SIGTERM');
    await proxy.waitForOutput(/draining: stopped accepting; .* active=1/, 5_000, 'stderr');
    await waitUntilNotListening(t().app, port.mmproxy);
    assert.equal(proxy.running, true, 'mmproxy exited with a flow still open');

    const result = await held.release();
    assert.equal(result.ok, true, result.error);
    assert.deepEqual(result.receivedSha256, [sha256(payload(BYTES))]);
    assert.deepEqual(await proxy.exited, { code: 0, signal: null });
    assert.match(proxy.stderr, /stopped: all connections closed .*completed=1/);
  });

  it('SIGTERM with a flow that does not finish closes it after --drain-timeout and exits 0', async function () {
    const port = t().ports();
    const proxy = await t().mmproxy(port.mmproxy, ['--drain-timeout', '1s']);
    await t().haproxy(port.lb, [{ address: APP, port: port.mmproxy, sendProxy: 'v2' }]);
    const held = await startHeldClient(
      t().client,
      `${LB_FRONT_V4}:${port.lb}`,
      join(t().dir, `never-${port.mmproxy}`),
      BYTES,
    );
    t().track(held.process);

    proxy.kill('SIGTERM');
    assert.deepEqual(await proxy.exited, { code: 0, signal: null });
    assert.match(proxy.stderr, /drain_incomplete: closing 1 open connection: the drain timeout passed/);
    // The cut flow is named, and the closing line adds up: every accepted connection has one outcome.
    assert.match(proxy.stderr, new RegExp(`drain_cut: closing a \\w+ flow at shutdown .*client=${CLIENT_V4}:\\d+`));
    const totals = /stopped: all connections closed (.*)/.exec(proxy.stderr)?.[1] ?? '';
    const figures = new Map([...totals.matchAll(/(\w+)=(\d+)/g)].map(([, key, value]) => [key!, Number(value)]));
    assert.equal(figures.get('cut_at_shutdown'), 1, totals);
    const outcomes = [...figures]
      .filter(([key]) => key === 'completed' || key === 'cut_at_shutdown' || key.startsWith('failed_'))
      .reduce((sum, [, value]) => sum + value, 0);
    assert.equal(outcomes, figures.get('accepted'), totals);
  });

  it('exit codes of the real binary: 2 for a usage mistake, 1 when it cannot listen, each with one line', async function () {
    const usage = await t().app.exec([process.execPath, MMPROXY_BIN, '-l', 'localhost:8443']);
    assert.equal(usage.code, 2, usage.stderr);
    assert.match(usage.stderr, /^mmproxy: -l: "localhost:8443": "localhost" is not a numeric IP address/);
    // The service already listens there (without SO_REUSEPORT).
    const taken = await t().app.exec([process.execPath, MMPROXY_BIN, '-l', `127.0.0.1:${SERVICE_PORT}`]);
    assert.equal(taken.code, 1, taken.stderr);
    assert.match(
      taken.stderr,
      /error start_failed: cannot listen on 127\.0\.0\.1:7000: .*another program already listens there/,
    );
    assert.equal(taken.stderr.trim().split('\n').length, 1, taken.stderr);
  });

  it('a second mmproxy on a taken port is refused; with --reuse-port it joins and takes over when the first drains', async function () {
    const port = t().ports();
    const first = await t().mmproxy(port.mmproxy, []);
    await t().haproxy(port.lb, [{ address: APP, port: port.mmproxy, sendProxy: 'v2' }]);
    const secondSocket = ['--stats-socket', `${t().statsSocket(port.mmproxy)}.second`];
    // Without the check, SO_REUSEPORT would let it start and take half of the connections.
    const refused = await t().app.exec([
      process.execPath,
      MMPROXY_BIN,
      '-l',
      `${APP}:${port.mmproxy}`,
      ...secondSocket,
    ]);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(
      refused.stderr,
      /cannot listen on .*: another program already listens there \(another mmproxy\?\).*--reuse-port/,
    );

    const successor = await t().mmproxy(port.mmproxy, ['--reuse-port', ...secondSocket]);
    assert.deepEqual(await stopMmproxy(first), { code: 0, signal: null });
    await t().assertClientSeen(port.lb, 4);
    await t().assertClientSeen(port.lb, 6);
    assert.deepEqual(await stopMmproxy(successor), { code: 0, signal: null });
    assert.match(successor.stderr, /stopped: all connections closed .*completed=2\b/);
  });

  it('-listen-transparent lets it listen on an address no interface has (for TPROXY)', async function () {
    const port = t().ports();
    const notLocal = `198.51.100.5:${port.mmproxy}`;
    const refused = await t().app.exec([process.execPath, MMPROXY_BIN, '-l', notLocal]);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /no interface has that address; use -listen-transparent/);
    const proxy = t().track(
      await startMmproxy(t().app, [
        '-l',
        notLocal,
        '-listen-transparent',
        '--stats-socket',
        t().statsSocket(port.mmproxy),
      ]),
    );
    const { stdout } = await t().app.run(['ss', '-tlnH', 'src', notLocal]);
    assert.match(stdout, new RegExp(`198\\.51\\.100\\.5:${port.mmproxy}`));
    assert.deepEqual(await stopMmproxy(proxy), { code: 0, signal: null });
  });

  it('a flood of refused connections is logged as a few lines and a count (JSON log lines)', async function () {
    const port = t().ports();
    const file = join(t().dir, `nobody-${port.mmproxy}.txt`);
    await writeFile(file, '198.51.100.0/24\n');
    const flood = 200;
    const proxy = await t().mmproxy(port.mmproxy, ['-allowed-subnets', file, '-v', '1', '--log-format', 'json']);
    // Straight from the load balancer's host: mmproxy closes each connection at once.
    const script =
      `let left = ${flood}; const net = require('net');` +
      `for (let i = 0; i < ${flood}; i++) net.connect(${port.mmproxy}, '${APP}')` +
      `.on('error', () => {}).on('close', () => { if (--left === 0) process.exit(0); });` +
      `setTimeout(() => process.exit(1), 10000);`;
    const run = await t().lb.exec([process.execPath, '-e', script], { timeoutMs: 15_000 });
    assert.equal(run.code, 0, `not every connection was closed: ${run.stderr}`);
    assert.deepEqual(await stopMmproxy(proxy), { code: 0, signal: null });

    const lines = jsonLogLines(proxy.stderr);
    // The closing line comes last, after every event the data plane sent, with the counter of refusals.
    assert.deepEqual([lines.at(-1)?.kind, lines.at(-1)?.['failed_not_allowed']], ['stopped', flood]);
    const { shown, suppressed } = floodLogged(lines, 'not_allowed');
    const figures = `${shown} shown, ${suppressed} suppressed; ${JSON.stringify(lines.at(-1))}`;
    assert.ok(shown < flood / 2, `too many lines for ${flood} refused connections: ${figures}`);
    assert.ok(suppressed > 0, `no summary line: ${figures}`);
    assert.equal(shown + suppressed, flood, `every refused connection is either shown or counted: ${figures}`);
  });
});
