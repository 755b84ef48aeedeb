/*
 * The edges of the mmproxy process's life (issue 14): signals that arrive while it is still starting, and a
 * shutdown with more stats clients than it serves. Topology: lab/mmproxy/topology.ts (client → lb with HAProxy →
 * app with mmproxy + service); the stats clients connect to the socket's path from the test itself.
 *
 * "Still starting" is made deterministic: the -allowed-subnets file is a FIFO, so mmproxy, its code loaded,
 * waits in the read until the test writes the list. Signals sent while it waits hit the start-up window: before
 * issue 14, mmproxy had no handler for them yet and died of them.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { createConnection, type Socket } from 'node:net';
import { join } from 'node:path';

import { type HostProcess, scaled } from '../../../lab/index.js';
import { MMPROXY_BIN, stopMmproxy } from '../../../lab/mmproxy/mmproxy-process.js';
import { APP, LB_BACK, TARGETS } from '../../../lab/mmproxy/topology.js';
import { waitFor } from '../../support/wait-for.js';
import { useProxyTopology } from './helpers/use-proxy-topology.js';

/** The stats socket's limit (src/stats/server.ts, DEFAULT_MAX_CLIENTS). */
const MAX_STATS_CLIENTS = 16;
const SIGHUPS = 3;
const SIGNAL_GAP_MS = 20;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('mmproxy process: signals while starting, shutdown with stats clients (network namespaces)', function () {
  this.timeout(90_000);
  const t = useProxyTopology('proxyss');

  /**
   * The FIFO's writing end, once mmproxy has it open for reading (opening it without a reader fails with ENXIO):
   * from then on mmproxy waits in the read for what the handle writes.
   */
  function writingEnd(fifo: string): Promise<FileHandle> {
    return waitFor(
      'mmproxy to read its subnets FIFO',
      () => open(fifo, constants.O_WRONLY | constants.O_NONBLOCK).catch(() => undefined),
      scaled(20_000),
    );
  }

  /** Writes `text` for the next read of the FIFO: call it only once the previous reader is done. */
  async function feed(fifo: string, text: string): Promise<void> {
    const handle = await writingEnd(fifo);
    try {
      await handle.writeFile(text);
    } finally {
      await handle.close();
    }
  }

  /** Starts mmproxy with a FIFO as its -allowed-subnets file; resolves once it waits reading it. */
  async function startBlocked(port: number): Promise<{ proxy: HostProcess; fifo: string; list: FileHandle }> {
    const fifo = join(t().dir, `lbs-${port}.fifo`);
    const made = spawnSync('mkfifo', [fifo]);
    assert.equal(made.status, 0, String(made.stderr));
    const proxy = t().track(
      t().app.spawn([
        process.execPath,
        MMPROXY_BIN,
        '-l',
        `${APP}:${port}`,
        ...TARGETS,
        '--stats-socket',
        t().statsSocket(port),
        '-allowed-subnets',
        fifo,
      ]),
    );
    return { proxy, fifo, list: await writingEnd(fifo) };
  }

  it('SIGHUPs sent while it starts are held: it survives, reloads once listening, and serves', async function () {
    const port = t().ports();
    const { proxy, fifo, list } = await startBlocked(port.mmproxy);
    // When SIGHUP arrives a few times while mmproxy is starting (its code loaded, not yet listening)
    for (let i = 0; i < SIGHUPS; i++) {
      proxy.kill('SIGHUP');
      await sleep(SIGNAL_GAP_MS);
    }
    if (!proxy.running) await list.close();
    assert.equal(proxy.running, true, `an early SIGHUP killed mmproxy: ${JSON.stringify(proxy.exitedWith)}`);
    // Then it starts once the list comes, and each SIGHUP is a reload, which reads the FIFO again
    await list.writeFile(`${LB_BACK}/32\n`);
    await list.close();
    await proxy.waitForOutput(/listening on /, scaled(10_000), 'stderr');
    for (let reload = 1; reload <= SIGHUPS; reload++) {
      await feed(fifo, `${LB_BACK}/32\n`);
      await waitFor(
        `reload ${reload}`,
        () => proxy.stderr.match(/reload: SIGHUP: now allowing 1 subnet/g)?.length === reload,
        scaled(10_000),
      );
    }
    await t().haproxy(port.lb, [{ address: APP, port: port.mmproxy, sendProxy: 'v2' }]);
    await t().assertClientSeen(port.lb, 4);
    assert.deepEqual(await stopMmproxy(proxy), { code: 0, signal: null });
  });

  it('a SIGTERM sent while it starts stops it cleanly once it listens: exit 0, not killed', async function () {
    const port = t().ports();
    const { proxy, list } = await startBlocked(port.mmproxy);
    proxy.kill('SIGTERM');
    await sleep(SIGNAL_GAP_MS);
    // EPIPE: nobody reads any more, mmproxy died of the signal (the assertion below says so).
    await list.writeFile(`${LB_BACK}/32\n`).catch(() => undefined);
    await list.close();
    assert.deepEqual(await proxy.exited, { code: 0, signal: null }, `killed by the early SIGTERM? ${proxy.stderr}`);
    assert.match(proxy.stderr, /stopping: SIGTERM: shutting down/);
    assert.match(proxy.stderr, /stopped: all connections closed/);
  });

  it('with more stats clients than it serves, some asking, some idle, none reading, SIGTERM exits within the drain timeout', async function () {
    const drainSeconds = 2;
    const port = t().ports();
    const proxy = await t().mmproxy(port.mmproxy, ['--drain-timeout', `${drainSeconds}s`]);
    const path = t().statsSocket(port.mmproxy);
    const clients: Socket[] = [];
    const connect = (request?: string): Promise<Socket> =>
      new Promise((resolve, reject) => {
        const socket = createConnection({ path }, () => {
          if (request) socket.write(request);
          // Reads nothing: whatever the proxy sends stays in the socket.
          socket.pause();
          resolve(socket);
        });
        socket.on('error', reject);
        clients.push(socket);
      });
    try {
      // Given every slot taken, half by subscribers and half by idle clients, then four more turned away
      for (let i = 0; i < MAX_STATS_CLIENTS; i++) {
        await connect(i % 2 === 0 ? '{"cmd":"subscribe","intervalMs":100}\n' : undefined);
      }
      for (let i = 0; i < 4; i++) await connect(i % 2 === 0 ? '{"cmd":"snapshot"}\n' : undefined);
      await sleep(200);
      // When SIGTERM comes
      const sentAt = Date.now();
      proxy.kill('SIGTERM');
      // Then the proxy exits, bounded by the drain timeout plus its shutdown (it used to wait forever)
      const bound = scaled(drainSeconds * 1000 + 5_000);
      const status = await Promise.race([proxy.exited, sleep(bound).then(() => 'still running' as const)]);
      assert.deepEqual(status, { code: 0, signal: null }, `after SIGTERM, ${bound} ms later: ${proxy.stderr}`);
      console.log(
        `      ${MAX_STATS_CLIENTS} stats clients held (8 subscribed, 8 idle), 4 refused (2 with a request), none reading: ` +
          `exit 0 ${Date.now() - sentAt} ms after SIGTERM (drain timeout ${drainSeconds} s)`,
      );
    } finally {
      for (const socket of clients) socket.destroy();
    }
  });
});
