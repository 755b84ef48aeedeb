/**
 * The WorkerPool and the data planes made on it, in-process and without a
 * namespace: its checks, close orders, flow ids and thread count. Listeners
 * bind to 127.0.0.1 port 0; the only traffic is loopback connections that
 * send half a PROXY header, so each waits as a flow in its header phase.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';

import type { DataPlaneEvent } from '../../../src/base/flows.js';
import { native } from '../../../src/native/addon.js';
import type { DataPlane, DataPlaneConfig, DataPlaneOptions, WorkerPool } from '../../../src/native/dataplane-types.js';
import { validConfig as config } from './config.js';

const noEvents = (): void => {};

function poolOf(threads: number): WorkerPool {
  const WorkerPoolClass = native().WorkerPool;
  assert.ok(WorkerPoolClass, 'the addon exports WorkerPool');
  return new WorkerPoolClass(threads);
}

function plane(
  cfg: DataPlaneConfig,
  options?: DataPlaneOptions,
  onEvents: (events: DataPlaneEvent[]) => void = noEvents,
): DataPlane {
  return new (native().DataPlane)(cfg, onEvents, options);
}

/** The threads of this process named as the data plane names its workers. */
function workerThreads(): number {
  return readdirSync('/proc/self/task').filter((task) => {
    try {
      return readFileSync(`/proc/self/task/${task}/comm`, 'utf8').startsWith('mmproxy-w');
    } catch {
      return false; // the thread ended while we looked
    }
  }).length;
}

/** Starts a plane and returns the port its `listening` event names. */
async function startedPort(
  cfg: DataPlaneConfig,
  options: DataPlaneOptions,
): Promise<{ plane: DataPlane; port: number }> {
  const events: DataPlaneEvent[] = [];
  const started = plane(cfg, options, (batch) => events.push(...batch));
  started.start();
  for (let i = 0; i < 100 && events.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  const match = /127\.0\.0\.1:(\d+) with/.exec(events.find((event) => event.kind === 'listening')?.message ?? '');
  assert.ok(match, `a listening event, got ${JSON.stringify(events)}`);
  return { plane: started, port: Number(match[1]) };
}

/** A loopback connection that sends the start of a PROXY header and waits. */
async function halfHeader(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.write('PROXY TCP4 ');
  return socket;
}

async function waitFor(what: string, condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.fail(`timed out waiting for ${what}`);
}

describe('WorkerPool', function () {
  it('has the size it was made with and closes idempotently', function () {
    const pool = poolOf(3);
    assert.equal(pool.size, 3);
    pool.close();
    pool.close();
  });

  it('takes as many threads as config.listeners may be, and no other number', function () {
    for (const threads of [0, 1025, 1.5, Number.NaN]) {
      assert.throws(() => poolOf(threads), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }, String(threads));
    }
    assert.throws(() => poolOf('2' as unknown as number), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
    poolOf(1).close();
  });

  it('refuses a plane whose listeners differ from its size, naming both', function () {
    const pool = poolOf(2);
    assert.throws(() => plane(config({ listeners: 3 }), { pool }), {
      name: 'RangeError',
      code: 'ERR_OUT_OF_RANGE',
      message: /listeners \(3\) must equal the size of options\.pool \(2\)/,
    });
    pool.close();
  });

  it('refuses a pool option that is not a WorkerPool', function () {
    const other = plane(config());
    for (const pool of [{}, other, 2]) {
      assert.throws(() => plane(config(), { pool: pool as unknown as WorkerPool }), {
        name: 'TypeError',
        code: 'ERR_INVALID_ARG_TYPE',
      });
    }
    other.close();
  });

  it('refuses a plane on a closed pool, saying so', function () {
    const pool = poolOf(2);
    pool.close();
    assert.throws(() => plane(config(), { pool }), { code: 'ERR_CLOSED', message: /worker pool was closed/ });
  });

  it('closes the planes still open on it, which say so when started', function () {
    const pool = poolOf(2);
    const running = plane(config(), { pool });
    running.start();
    const waiting = plane(config(), { pool });
    pool.close();
    assert.throws(() => waiting.start(), { code: 'ERR_CLOSED', message: /closed with its worker pool/ });
    assert.equal(running.counters().accepted, 0, 'counters stay readable');
    running.close();
    waiting.close();
    pool.close();
    assert.equal(workerThreads(), 0, 'no worker thread left');
  });

  it('keeps serving the other planes when one closes, in any order', async function () {
    const pool = poolOf(2);
    const first = await startedPort(config(), { pool });
    const second = await startedPort(config(), { pool });
    first.plane.close();
    first.plane.close();
    const socket = await halfHeader(second.port);
    await waitFor('the second plane to accept', () => second.plane.flows().length === 1);
    socket.destroy();
    pool.close();
    second.plane.close();
  });

  it('gives flows ids unique across its planes', async function () {
    const pool = poolOf(2);
    const planes = [await startedPort(config(), { pool }), await startedPort(config(), { pool })];
    const sockets = await Promise.all(planes.map(({ port }) => halfHeader(port)));
    await waitFor('a flow on each plane', () => planes.every(({ plane: each }) => each.flows().length === 1));
    const ids = planes.map(({ plane: each }) => each.flows()[0]!.id);
    assert.notEqual(ids[0], ids[1]);
    for (const socket of sockets) socket.destroy();
    pool.close();
  });

  it('serves 20 planes with its 2 threads', function () {
    assert.equal(workerThreads(), 0, 'no worker thread before');
    const pool = poolOf(2);
    const planes = Array.from({ length: 20 }, (_, i) =>
      plane(config({ protocol: i % 2 === 0 ? 'tcp' : 'udp', closeAfterSeconds: 60, maxSessions: 10 }), { pool }),
    );
    for (const each of planes) each.start();
    assert.equal(workerThreads(), 2);
    for (const each of planes.slice(0, 10)) each.close();
    pool.close();
    assert.equal(workerThreads(), 0, 'none after close');
  });

  it('without a pool, a plane runs on threads of its own, joined by close()', function () {
    const alone = plane(config({ listeners: 3 }));
    alone.start();
    assert.equal(workerThreads(), 3);
    alone.close();
    assert.equal(workerThreads(), 0);
  });
});

/**
 * In a child node with --expose-gc: planes on a pool dropped unclosed are
 * collected (each detaching itself), then the pool (its threads joined);
 * then the process exits with a pool and a plane open, which the
 * environment's cleanup hooks close. Prints the worker threads left after the
 * collection.
 */
const GC_SCRIPT = `
import { readdirSync, readFileSync } from 'node:fs';
const { native } = await import(process.argv[1] + '/src/native/addon.js');
const { validConfig } = await import(process.argv[1] + '/test/unit/dataplane/config.js');
const threads = () => readdirSync('/proc/self/task').filter((task) => {
  try { return readFileSync('/proc/self/task/' + task + '/comm', 'utf8').startsWith('mmproxy-w'); } catch { return false; }
}).length;
(() => {
  const pool = new (native().WorkerPool)(2);
  for (let i = 0; i < 5; i++) new (native().DataPlane)(validConfig(), () => {}, { pool }).start();
})();
for (let i = 0; i < 50 && threads() > 0; i++) {
  globalThis.gc();
  await new Promise((resolve) => setTimeout(resolve, 20));
}
console.log(threads());
const pool = new (native().WorkerPool)(2);
new (native().DataPlane)(validConfig(), () => {}, { pool }).start();
process.exit(0);
`;

describe('WorkerPool and DataPlane left to the garbage collector', function () {
  it('collects dropped planes and then their pool, and exits cleanly with both open', function () {
    const dist = fileURLToPath(new URL('../../../', import.meta.url));
    const output = execFileSync(
      process.execPath,
      ['--expose-gc', '--input-type=module', '-e', GC_SCRIPT, dist.replace(/\/$/, '')],
      { encoding: 'utf8', timeout: 20_000 },
    );
    assert.equal(output.trim(), '0', 'no worker thread left once collected');
  });
});

describe('DataPlane adoptListenersFrom', function () {
  it('refuses a plane of another protocol, endpoint or pool, saying why', function () {
    const pool = poolOf(2);
    const other = poolOf(2);
    const old = plane(config({ listen: { family: 4, address: '127.0.0.1', port: 0 } }), { pool });
    const cases: [DataPlaneConfig, DataPlaneOptions, RegExp][] = [
      [config({ protocol: 'udp', closeAfterSeconds: 60, maxSessions: 10 }), { pool }, /another protocol/],
      [config({ listen: { family: 4, address: '127.0.0.2', port: 0 } }), { pool }, /listens on 127\.0\.0\.1:0/],
      [config(), { pool: other }, /same worker pool/],
      [config(), {}, /same worker pool/],
    ];
    for (const [cfg, options, why] of cases) {
      assert.throws(() => plane(cfg, { ...options, adoptListenersFrom: old }), {
        name: 'TypeError',
        code: 'ERR_INVALID_ARG_VALUE',
        message: why,
      });
    }
    assert.throws(() => plane(config(), { pool, adoptListenersFrom: pool as unknown as DataPlane }), {
      name: 'TypeError',
      code: 'ERR_INVALID_ARG_TYPE',
    });
    old.close();
    other.close();
    pool.close();
  });

  it('start() refuses a plane that is not listening: not started, stopped accepting, closed', function () {
    const pool = poolOf(2);
    const old = plane(config(), { pool });
    const refusal = (why: RegExp) => ({ name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE', message: why });
    assert.throws(() => plane(config(), { pool, adoptListenersFrom: old }).start(), refusal(/not started/));
    old.start();
    old.stopAccepting();
    assert.throws(() => plane(config(), { pool, adoptListenersFrom: old }).start(), refusal(/stopped accepting/));
    old.close();
    assert.throws(() => plane(config(), { pool, adoptListenersFrom: old }).start(), refusal(/was closed/));
    pool.close();
  });

  it('takes over the listening port: the new plane accepts once the old one stops', async function () {
    const pool = poolOf(2);
    const old = await startedPort(config(), { pool });
    const adopting = await startedPort(config(), { pool, adoptListenersFrom: old.plane });
    assert.equal(adopting.port, old.port);
    old.plane.stopAccepting();
    old.plane.close();
    const socket = await halfHeader(old.port);
    await waitFor('the new plane to accept', () => adopting.plane.flows().length === 1);
    assert.equal(adopting.plane.counters().accepted, 1);
    socket.destroy();
    pool.close();
  });
});
