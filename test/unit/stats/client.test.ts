/**
 * The typed client against a real stats server on a unix socket: one
 * snapshot, the errors a user meets, and a subscription that rides out the
 * proxy going away and coming back.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { requestSnapshot, subscribeStats, type SubscriptionStatus } from '../../../src/stats/client.js';
import { StatsClientError } from '../../../src/stats/client-errors.js';
import { findProxySocket } from '../../../src/stats/discover.js';
import type { StatsSnapshot } from '../../../src/stats/schema.js';
import { startStatsServer, type StatsServer } from '../../../src/stats/server.js';
import { requirePrerequisite } from '../../support/prerequisite.js';
import { readableCopy } from '../../support/readable-copy.js';
import { recordedFlow, recordedSource } from '../../support/recorded-source.js';
import { waitFor } from '../../support/wait-for.js';

describe('stats client', () => {
  let dir: string;
  let path: string;
  let server: StatsServer | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mmproxy-client-'));
    path = join(dir, 'proxy.sock');
  });

  afterEach(async () => {
    await server?.close();
    server = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('reads one snapshot', async () => {
    const source = recordedSource();
    source.current.flows = [recordedFlow(1, { bytesToClient: 1234 })];
    server = await startStatsServer({ path, source });
    const snapshot = await requestSnapshot(path);
    assert.equal(snapshot.flows[0]!.bytesToClient, 1234);
  });

  it('says the proxy is not running when there is no socket (ENOENT)', async () => {
    await assert.rejects(requestSnapshot(path), (error: unknown) => {
      assert.ok(error instanceof StatsClientError);
      assert.equal(error.code, 'not_running');
      assert.match(error.message, /no mmproxy is running with a stats socket at .*proxy\.sock/);
      return true;
    });
  });

  it('says the proxy is gone when its socket is stale (ECONNREFUSED)', async () => {
    spawnSync('python3', ['-c', 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])', path]);
    await assert.rejects(requestSnapshot(path), { code: 'not_running', message: /no longer running/ });
  });

  it('says the socket is not readable when permission is denied (EACCES)', function () {
    requirePrerequisite(
      this,
      process.getuid?.() === 0
        ? null
        : 'needs root to run the client as another user: run the tests as root (sudo npm test)',
    );
    // Given a socket in a 0700 directory, when user nobody (65534) tries to read it, with a copy of the client it
    // can load: the clone may sit where only root can read (/root), and then nobody could not load its code
    const code = readableCopy(fileURLToPath(new URL('../../../src', import.meta.url)));
    const clientModule = join(code.directory, 'stats', 'client.js');
    const script = `import(${JSON.stringify(clientModule)}).then((m) => m.requestSnapshot(${JSON.stringify(path)})).then(() => console.log('read'), (e) => console.log(e.code))`;
    return startStatsServer({ path, source: recordedSource() })
      .then((started) => {
        server = started;
        const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
          uid: 65534,
          gid: 65534,
          cwd: code.directory,
          encoding: 'utf8',
        });
        // Then the error says so
        assert.equal(child.stdout.trim(), 'not_readable', child.stderr);
      })
      .finally(() => code.remove());
  });

  it('reconnects a subscription when the proxy goes away and comes back', async () => {
    // Given a subscription to a running proxy
    const source = recordedSource();
    server = await startStatsServer({ path, source });
    const statuses: SubscriptionStatus[] = [];
    const snapshots: StatsSnapshot[] = [];
    const subscription = subscribeStats({
      socketPath: async () => path,
      intervalMs: 100,
      initialBackoffMs: 20,
      maxBackoffMs: 100,
      onSnapshot: (snapshot) => snapshots.push(snapshot),
      onStatus: (status) => statuses.push(status),
    });
    try {
      await waitFor('a first snapshot', () => snapshots.length > 0);
      // When the proxy stops
      await server.close();
      server = undefined;
      const retrying = await waitFor('a retrying status', () =>
        statuses.find((status) => status.state === 'retrying' && status.error.code === 'not_running'),
      );
      // And starts again with a flow
      source.current.flows = [recordedFlow(9)];
      server = await startStatsServer({ path, source });
      // Then snapshots flow again
      await waitFor('a snapshot after the restart', () => snapshots.some((snapshot) => snapshot.flows[0]?.id === 9));
      assert.ok(retrying.state === 'retrying' && retrying.retryInMs > 0);
      assert.equal(statuses.filter((status) => status.state === 'connected').length, 2);
    } finally {
      subscription.close();
    }
  });

  describe('finding the running proxy', () => {
    it('picks the only live socket and ignores those of dead pids', async () => {
      spawnSync('python3', [
        '-c',
        'import socket,sys; [socket.socket(socket.AF_UNIX).bind(p) for p in sys.argv[1:]]',
        join(dir, `${process.pid}.sock`),
        join(dir, '2147483646.sock'),
      ]);
      assert.equal(await findProxySocket(dir), join(dir, `${process.pid}.sock`));
    });

    it('explains when there is none, or more than one', async () => {
      await assert.rejects(findProxySocket(join(dir, 'missing')), { code: 'not_running', message: /does not exist/ });
      await assert.rejects(findProxySocket(dir), { code: 'not_running', message: /no stats socket in/ });
      spawnSync('python3', [
        '-c',
        'import socket,sys; [socket.socket(socket.AF_UNIX).bind(p) for p in sys.argv[1:]]',
        join(dir, 'a.sock'),
        join(dir, 'b.sock'),
      ]);
      await assert.rejects(findProxySocket(dir), {
        code: 'ambiguous',
        message: /2 proxies are running; choose one with --socket/,
      });
    });
  });
});
