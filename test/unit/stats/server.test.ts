/**
 * The stats socket protocol over a real unix socket in a temporary
 * directory, fed by a recorded (plain-data) source.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { lstat, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { startStatsServer, type StatsServer } from '../../../src/stats/server.js';
import type { StatsSnapshot } from '../../../src/stats/schema.js';
import { lineClient, type LineClient } from '../../support/line-client.js';
import { recordedCounters, recordedFlow, recordedSource, type RecordedSource } from '../../support/recorded-source.js';
import { waitFor } from '../../support/wait-for.js';

describe('stats socket server', () => {
  let dir: string;
  let path: string;
  let source: RecordedSource;
  let server: StatsServer | undefined;
  const clients: LineClient[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mmproxy-stats-'));
    path = join(dir, 'test.sock');
    source = recordedSource();
    source.current.flows = [recordedFlow(1, { bytesToTarget: 100 }), recordedFlow(2, { bytesToClient: 200 })];
    source.current.counters = recordedCounters({ accepted: 2, established: 2, active: 2 });
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) client.socket.destroy();
    await server?.close();
    server = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  async function connect(): Promise<LineClient> {
    const client = await lineClient(path);
    clients.push(client);
    return client;
  }

  it('answers a snapshot request with a version-1 snapshot of the flows', async () => {
    // Given a running stats server
    server = await startStatsServer({ path, source });
    // When a client asks for a snapshot
    const client = await connect();
    client.send('{"cmd":"snapshot"}\n');
    // Then it gets one, with the recorded flows and their real client addresses
    const snapshot = (await client.line(1)) as StatsSnapshot;
    assert.equal(snapshot.version, 1);
    assert.deepEqual(
      snapshot.flows.map((flow) => flow.client?.address),
      ['198.51.100.7', '198.51.100.7'],
    );
    assert.deepEqual(
      snapshot.flows.map((flow) => flow.client?.port),
      [50001, 50002],
    );
    assert.equal(snapshot.counters.active, 2);
  });

  it('creates the socket 0600 and, for the default path, its directory 0755', async () => {
    const defaultPath = join(dir, 'run', 'mmproxy', 'test.sock');
    server = await startStatsServer({ path: defaultPath, source, createDirectory: true });
    const socketStats = await lstat(defaultPath);
    assert.ok(socketStats.isSocket());
    assert.equal(socketStats.mode & 0o777, 0o600);
    assert.equal((await stat(join(dir, 'run', 'mmproxy'))).mode & 0o777, 0o755);
  });

  it('Given a named path under a directory that does not exist, Then it says so and creates nothing', async () => {
    const typo = join(dir, 'some', 'typo', 'x.sock');
    await assert.rejects(
      startStatsServer({ path: typo, source }),
      new RegExp(`the directory ${dir}/some/typo does not exist; create it or choose another --stats-socket`),
    );
    assert.deepEqual(await readdir(dir), []);
    await writeFile(join(dir, 'a-file'), '');
    await assert.rejects(
      startStatsServer({ path: join(dir, 'a-file', 'x.sock'), source }),
      /a-file is not a directory; choose another --stats-socket/,
    );
  });

  it('streams snapshots to a subscriber, showing bytes as they grow', async () => {
    server = await startStatsServer({ path, source });
    const client = await connect();
    client.send('{"cmd":"subscribe","intervalMs":100}\n');
    const first = (await client.line(1)) as StatsSnapshot;
    // When the flow moves more bytes
    source.current.flows = [recordedFlow(1, { bytesToTarget: 5000 })];
    // Then a later snapshot shows them
    const grown = await waitFor('a snapshot with the new byte count', () =>
      (client.lines as StatsSnapshot[]).find((snapshot) => snapshot.flows[0]?.bytesToTarget === 5000),
    );
    assert.equal(first.flows[0]!.bytesToTarget, 100);
    assert.equal(grown.flows.length, 1);
  });

  it('answers bad JSON with bad_request and keeps the connection usable', async () => {
    server = await startStatsServer({ path, source });
    const client = await connect();
    client.send('this is not json\n');
    assert.equal(((await client.line(1)) as { error: { code: string } }).error.code, 'bad_request');
    client.send('{"cmd":"snapshot"}\n');
    assert.equal(((await client.line(2)) as StatsSnapshot).version, 1);
  });

  it('names unknown commands and bad intervals', async () => {
    server = await startStatsServer({ path, source });
    const client = await connect();
    client.send('{"cmd":"shutdown"}\n{"cmd":"subscribe","intervalMs":5}\n[1,2]\n');
    const codes = await Promise.all(
      [1, 2, 3].map(async (n) => ((await client.line(n)) as { error: { code: string; message: string } }).error),
    );
    assert.deepEqual(
      codes.map((error) => error.code),
      ['unknown_command', 'bad_request', 'bad_request'],
    );
    assert.match(codes[1]!.message, /intervalMs must be an integer from 100 to 60000/);
  });

  it('refuses a second subscription on the same connection', async () => {
    server = await startStatsServer({ path, source });
    const client = await connect();
    client.send('{"cmd":"subscribe","intervalMs":60000}\n{"cmd":"subscribe"}\n');
    assert.equal(((await client.line(1)) as StatsSnapshot).version, 1);
    assert.equal(((await client.line(2)) as { error: { code: string } }).error.code, 'already_subscribed');
  });

  it('closes a connection whose request line is too large', async () => {
    server = await startStatsServer({ path, source });
    const client = await connect();
    client.send('x'.repeat(10_000));
    assert.equal(((await client.line(1)) as { error: { code: string } }).error.code, 'request_too_large');
    await client.waitEnded();
  });

  it('closes a client that connects and never asks, freeing its slot', async () => {
    server = await startStatsServer({ path, source, idleTimeoutMs: 200 });
    const client = await connect();
    assert.equal(((await client.line(1)) as { error: { code: string } }).error.code, 'request_timeout');
    await client.waitEnded();
    await waitFor('the slot to be free', () => server!.clientCount() === 0);
  });

  it('turns away clients beyond the limit with too_many_clients', async () => {
    server = await startStatsServer({ path, source, maxClients: 2 });
    await connect();
    await connect();
    await waitFor('two clients registered', () => server!.clientCount() === 2);
    const third = await connect();
    assert.equal(((await third.line(1)) as { error: { code: string } }).error.code, 'too_many_clients');
    await third.waitEnded();
  });

  it('closes every client on close(): held, and refused ones idle or with a request (issue 14)', async () => {
    server = await startStatsServer({ path, source, maxClients: 2 });
    const subscriber = await connect();
    subscriber.send('{"cmd":"subscribe","intervalMs":100}\n');
    await subscriber.line(1);
    await connect();
    await waitFor('two clients registered', () => server!.clientCount() === 2);
    const extra = await Promise.all([connect(), connect(), connect()]);
    extra[0].send('{"cmd":"snapshot"}\n');
    for (const client of extra)
      assert.equal(((await client.line(1)) as { error: { code: string } }).error.code, 'too_many_clients');
    // When the server closes, then close() returns (bounded: it used to wait for the refused clients forever)
    let closed = false;
    void server.close().then(() => (closed = true));
    await waitFor('close() to return', () => closed, 5_000);
    server = undefined;
    await waitFor('every client to be disconnected', () => clients.every((client) => client.ended()));
  });

  it('drops a subscriber that stops reading instead of buffering for it', async () => {
    // Given snapshots far larger than a socket buffer
    source.current.flows = Array.from({ length: 4000 }, (_, i) => recordedFlow(i + 1));
    server = await startStatsServer({ path, source, slowClientMs: 300 });
    const client = await connect();
    // When a subscriber never reads
    client.socket.pause();
    client.send('{"cmd":"subscribe","intervalMs":100}\n');
    await waitFor('the subscriber to connect', () => server!.clientCount() === 1);
    // Then the server lets it go
    await waitFor('the slow subscriber to be dropped', () => server!.clientCount() === 0);
  });

  it('reports a failing source to the client as an internal error', async () => {
    server = await startStatsServer({ path, source });
    source.flows = () => {
      throw new Error('data plane closed');
    };
    const client = await connect();
    client.send('{"cmd":"snapshot"}\n');
    const reply = (await client.line(1)) as { error: { code: string; message: string } };
    assert.equal(reply.error.code, 'internal');
    assert.match(reply.error.message, /data plane closed/);
  });

  it('replaces a stale socket left by a proxy that died', async () => {
    // Given a socket file nobody listens on (bound, never listening: what a killed proxy leaves)
    await startStatsServer({ path, source }).then((s) => s.close());
    const bound = spawnSync('python3', [
      '-c',
      'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])',
      path,
    ]);
    assert.equal(bound.status, 0, String(bound.stderr));
    assert.ok((await lstat(path)).isSocket());
    // When a new server starts there, then it serves
    server = await startStatsServer({ path, source });
    const client = await connect();
    client.send('{"cmd":"snapshot"}\n');
    assert.equal(((await client.line(1)) as StatsSnapshot).version, 1);
  });

  it('refuses to take over a live socket or to delete a file that is not a socket', async () => {
    server = await startStatsServer({ path, source });
    await assert.rejects(startStatsServer({ path, source }), /another process is serving stats at/);
    const file = join(dir, 'not-a-socket');
    await writeFile(file, 'keep me');
    await assert.rejects(startStatsServer({ path: file, source }), /exists and is not a socket; refusing/);
    assert.equal(await readFile(file, 'utf8'), 'keep me');
  });

  it('refuses a path too long for a unix socket, instead of binding a truncated one', async () => {
    const long = join(dir, 'x'.repeat(100), 'p.sock');
    await assert.rejects(
      startStatsServer({ path: long, source }),
      /is too long for a unix socket .*choose a shorter --stats-socket/,
    );
  });

  it('removes its socket on close, but not one that replaced it', async () => {
    server = await startStatsServer({ path, source });
    await server.close();
    await assert.rejects(lstat(path), { code: 'ENOENT' });
    // Given a server whose path was taken over by another listener
    server = await startStatsServer({ path, source });
    await rm(path);
    const other = createServer();
    await new Promise<void>((resolve) => other.listen(path, resolve));
    // When the first closes, then the other's socket is still there
    await server.close();
    server = undefined;
    assert.ok((await lstat(path)).isSocket());
    await new Promise<void>((resolve) => other.close(() => resolve()));
  });
});
