/**
 * Hostile snapshots (issue 14): a stats socket is another process's output,
 * and `doctor --from-running --fix` (root) turns the snapshot's proxy part
 * into ip commands. Every malformed field is refused with a message naming
 * it, before anything is built from it: shell metacharacters, out-of-range
 * and fractional numbers, wrong types, non-canonical addresses.
 */
import { hostname } from 'node:os';

import { statsSourceFor } from '../../../src/stats/source.js';
import { dataPlaneConfig } from '../../support/dataplane-config.js';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { main } from '../../../src/cli/main.js';
import { readRunningProxy } from '../../../src/doctor/options/from-running.js';
import { StatsClientError } from '../../../src/stats/client-errors.js';
import { parseSnapshotLine } from '../../../src/stats/parse-snapshot.js';
import { SnapshotBuilder } from '../../../src/stats/snapshot.js';
import { recordedSource } from '../../support/recorded-source.js';

type Json = Record<string, unknown>;

/** A snapshot as a real proxy sends it, as plain JSON to tamper with. */
function realSnapshot(): Json {
  const source = recordedSource();
  source.summary.config.allowedSubnets = ['192.0.2.0/24', '2001:db8::/32'];
  return JSON.parse(JSON.stringify(new SnapshotBuilder(source).build())) as Json;
}

/** Sets the value at a dotted path ("proxy.listen.address"). */
function tampered(path: string, value: unknown): Json {
  const snapshot = realSnapshot();
  const keys = path.split('.');
  let target = snapshot;
  for (const key of keys.slice(0, -1)) target = target[key] as Json;
  target[keys.at(-1)!] = value;
  return snapshot;
}

const HOSTILE: [path: string, value: unknown, named: string][] = [
  ['proxy.listen.address', '1.2.3.4; rm -rf /', 'proxy.listen.address'],
  ['proxy.listen.address', '$(reboot)', 'proxy.listen.address'],
  ['proxy.listen.address', '127.0.0.1\nip rule flush', 'proxy.listen.address'],
  ['proxy.listen.address', '::1', 'proxy.listen.address'],
  ['proxy.listen.address', '127.000.000.001', 'proxy.listen.address'],
  ['proxy.listen.address', 2130706433, 'proxy.listen.address'],
  ['proxy.listen.family', 5, 'proxy.listen.family'],
  ['proxy.listen.port', 65536, 'proxy.listen.port'],
  ['proxy.listen.port', -1, 'proxy.listen.port'],
  ['proxy.listen.port', 80.5, 'proxy.listen.port'],
  ['proxy.listen.port', '80; id', 'proxy.listen.port'],
  ['proxy.listen', 'x', 'proxy.listen'],
  ['proxy.targets.ipv4', { family: 4, address: '127.0.0.1`id`', port: 80 }, 'proxy.targets.ipv4.address'],
  ['proxy.targets.ipv6', { family: 6, address: 'fe80::1%eth0', port: 80 }, 'proxy.targets.ipv6.address'],
  ['proxy.targets.ipv6', { family: 6, address: '::1', port: 1e300 }, 'proxy.targets.ipv6.port'],
  ['proxy.config.mark', 2 ** 32, 'proxy.config.mark'],
  ['proxy.config.mark', '7 && sh', 'proxy.config.mark'],
  ['proxy.config.mark', 1.5, 'proxy.config.mark'],
  ['proxy.config.mark', null, 'proxy.config.mark'],
  ['proxy.config.connectTimeoutMs', Number.MAX_VALUE, 'proxy.config.connectTimeoutMs'],
  ['proxy.config.maxConnections', -5, 'proxy.config.maxConnections'],
  ['proxy.config.dynamicDestination', 'true', 'proxy.config.dynamicDestination'],
  ['proxy.config.allowedSubnets', '192.0.2.0/24', 'proxy.config.allowedSubnets'],
  ['proxy.config.allowedSubnets', ['192.0.2.0/24 table 1'], 'proxy.config.allowedSubnets[0]'],
  ['proxy.config.allowedSubnets', ['192.0.2.1/24'], 'proxy.config.allowedSubnets[0]'],
  ['proxy.config.allowedSubnets', ['192.0.2.0/33'], 'proxy.config.allowedSubnets[0]'],
  ['proxy.config.udpHeader', 'every; halt', 'proxy.config.udpHeader'],
  ['proxy.protocol', 'sctp', 'proxy.protocol'],
  ['proxy.pid', 0, 'proxy.pid'],
  ['proxy.pid', '1 && kill', 'proxy.pid'],
  ['proxy.build', { version: 'x'.repeat(1000), commit: null, node: 'v20' }, 'proxy.build.version'],
  ['proxy.config', [], 'proxy.config'],
  ['proxy.host', 'web-1\u001b[2J', 'proxy.host'],
  ['proxy.host', 'x'.repeat(65), 'proxy.host'],
  ['proxy.host', 7, 'proxy.host'],
  ['counters.failures.connect_timeout', '3', 'counters.failures.connect_timeout'],
  ['counters.failures.connect_timeout', 2 ** 60, 'counters.failures.connect_timeout'],
  // Listeners (issue 17): their names become metric labels and lines on a terminal.
  ['listeners', { web: {} }, 'listeners'],
  ['listeners.0.name', 'web"} 1\nmmproxy_evil 1', 'listeners[0].name'],
  ['listeners.0.name', 'web\u001b[2J', 'listeners[0].name'],
  ['listeners.0.name', 'x'.repeat(64), 'listeners[0].name'],
  ['listeners.0.name', '', 'listeners[0].name'],
  ['listeners.0.name', '-web', 'listeners[0].name'],
  ['listeners.0.listen.address', '192.0.2.1; id', 'listeners[0].listen.address'],
  ['listeners.0.lastPort', 8000, 'listeners[0].lastPort'],
  ['listeners.0.targets.ipv4', { family: 4, address: '127.0.0.1`id`', port: 80 }, 'listeners[0].targets.ipv4.address'],
  ['listeners.0.config.mark', 2 ** 32, 'listeners[0].config.mark'],
  ['listeners.0.state', 'gone', 'listeners[0].state'],
  ['listeners.0.protocol', 'sctp', 'listeners[0].protocol'],
  ['listeners.0.counters.active', -1, 'listeners[0].counters.active'],
  ['listeners.0.counters.rate', { toTarget: '1', toClient: 0 }, 'listeners[0].counters.rate.toTarget'],
  ['listeners.0.counters.failures.connect_timeout', 0.5, 'listeners[0].counters.failures.connect_timeout'],
];

describe('hostile stats snapshots (issue 14)', () => {
  it('a real snapshot passes, unchanged in every field it checks', () => {
    const snapshot = realSnapshot();
    assert.deepEqual(parseSnapshotLine(JSON.stringify(snapshot)).proxy, snapshot['proxy']);
  });

  it("carries the host's name, for snapshots collected from many hosts", () => {
    const parsed = parseSnapshotLine(JSON.stringify(tampered('proxy.host', hostname())));
    assert.equal(parsed.proxy.host, hostname());
    const live = statsSourceFor({ counters: () => recordedSource().counters(), flows: () => [] }, dataPlaneConfig());
    assert.equal(live.summary.host, hostname());
  });

  for (const [path, value, named] of HOSTILE) {
    it(`refuses ${path} = ${JSON.stringify(value)?.slice(0, 50)}, naming ${named}`, () => {
      assert.throws(
        () => parseSnapshotLine(JSON.stringify(tampered(path, value))),
        (error: unknown) =>
          error instanceof StatsClientError &&
          error.code === 'protocol' &&
          error.message.startsWith(`the stats snapshot is malformed (${named} is `) &&
          /nothing was done with it/.test(error.message),
      );
    });
  }

  describe('listeners (issue 17)', () => {
    /** Refused, with a message naming `named`. */
    function assertRefused(snapshot: Json, named: string): void {
      assert.throws(
        () => parseSnapshotLine(JSON.stringify(snapshot)),
        (error: unknown) =>
          error instanceof StatsClientError &&
          error.message.startsWith(`the stats snapshot is malformed (${named} is `),
      );
    }

    it('reads a snapshot from before listeners (none given) as it always did', () => {
      const snapshot = realSnapshot();
      delete snapshot['listeners'];
      assert.equal(parseSnapshotLine(JSON.stringify(snapshot)).listeners, undefined);
    });

    it('passes the checked listeners on, and nothing of them that was not checked', () => {
      const snapshot = realSnapshot();
      (snapshot['listeners'] as Json[])[0]!['extra'] = 'x';
      const [only] = parseSnapshotLine(JSON.stringify(snapshot)).listeners!;
      assert.equal(only!.name, 'default');
      assert.ok(!('extra' in only!));
    });

    it('refuses more listeners than a config file may hold', () => {
      const snapshot = realSnapshot();
      const [only] = snapshot['listeners'] as Json[];
      snapshot['listeners'] = Array.from({ length: 1001 }, (_, i) => ({ ...only, name: `l${i}` }));
      assertRefused(snapshot, 'listeners');
      snapshot['listeners'] = (snapshot['listeners'] as Json[]).slice(0, 1000);
      assert.equal(parseSnapshotLine(JSON.stringify(snapshot)).listeners!.length, 1000);
    });

    it('refuses two listeners of one name, and a flow of a listener not listed', () => {
      const twice = realSnapshot();
      const [only] = twice['listeners'] as Json[];
      twice['listeners'] = [only, { ...only }];
      assertRefused(twice, 'listeners[1].name');
      const stray = realSnapshot();
      stray['flows'] = [{ id: 1, listener: 'elsewhere' }];
      assertRefused(stray, 'flows[0].listener');
    });
  });

  describe('through doctor --from-running', function () {
    let dir: string;
    let server: Server | undefined;

    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'mmproxy-hostile-'));
    });
    afterEach(async () => {
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      server = undefined;
      await rm(dir, { recursive: true, force: true });
    });

    /** A socket that answers every request with `snapshot`. */
    async function hostileSocket(snapshot: Json): Promise<string> {
      const path = join(dir, 'hostile.sock');
      server = createServer((socket) => {
        socket.on('error', () => socket.destroy());
        socket.once('data', () => socket.end(`${JSON.stringify(snapshot)}\n`));
      });
      await new Promise<void>((resolve) => server!.listen(path, resolve));
      return path;
    }

    it('gives no setup to build commands from, and one line with exit 2', async () => {
      const path = await hostileSocket(tampered('proxy.targets.ipv4.address', '127.0.0.1; rm -rf /'));
      await assert.rejects(readRunningProxy(path), /proxy\.targets\.ipv4\.address is "127\.0\.0\.1; rm -rf \/"/);
      let stderr = '';
      const original = process.stderr.write.bind(process.stderr);
      process.stderr.write = (chunk: string) => ((stderr += chunk), true);
      let code: number;
      try {
        // Without --fix: were the snapshot taken, this would print commands, not run them.
        code = await main(['doctor', '--from-running', '--socket', path, '--json']);
      } finally {
        process.stderr.write = original;
      }
      assert.equal(code, 2);
      assert.match(stderr, /^mmproxy: --from-running: the stats snapshot is malformed \(proxy\.targets\.ipv4\.address/);
    });
  });
});
