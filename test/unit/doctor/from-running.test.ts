/**
 * `mmproxy doctor --from-running` against a real stats server on a unix
 * socket fed recorded numbers: the setup read from the socket equals the one
 * the proxy's own flags give, the counters reach the routing finding, and
 * every way of not finding the proxy is one line and exit code 2.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { main } from '../../../src/cli/main.js';
import { listenerSetupsFromSnapshot, readRunningProxy } from '../../../src/doctor/options/from-running.js';
import { emptySnapshot, listenersSnapshot } from '../../support/recorded-snapshots.js';
import { startStatsServer, type StatsServer } from '../../../src/stats/server.js';
import { recordedSource, type RecordedSource } from '../../support/recorded-source.js';
import { parseDoctorArgs, replayJson, setupFromArgs } from './replay.js';

async function captureStderr(body: () => Promise<number>): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const original = process.stderr.write.bind(process.stderr);
  process.stderr.write = (chunk: string) => ((stderr += chunk), true);
  try {
    return { code: await body(), stderr };
  } finally {
    process.stderr.write = original;
  }
}

describe('mmproxy doctor --from-running', function () {
  let dir: string;
  let path: string;
  let server: StatsServer | undefined;

  beforeEach(async function () {
    dir = await mkdtemp(join(tmpdir(), 'mmproxy-from-running-'));
    path = join(dir, 'proxy.sock');
  });

  afterEach(async function () {
    await server?.close();
    server = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  async function serve(change: (source: RecordedSource) => void): Promise<void> {
    const source = recordedSource();
    change(source);
    server = await startStatsServer({ path, source });
  }

  it('reads the same setup as the flags the proxy was started with', async function () {
    // Given a proxy started as `mmproxy -l 0.0.0.0:80 -4 127.0.0.2:8080 -6 [::1]:8080 -mark 7 --connect-timeout 2s --max-connections 300 --dynamic-destination`
    await serve(({ summary }) => {
      summary.listen = { family: 4, address: '0.0.0.0', port: 80 };
      summary.targets = {
        ipv4: { family: 4, address: '127.0.0.2', port: 8080 },
        ipv6: { family: 6, address: '::1', port: 8080 },
      };
      Object.assign(summary.config, { mark: 7, connectTimeoutMs: 2000, maxConnections: 300, dynamicDestination: true });
    });
    // When the doctor reads it from the socket
    const { setup, running } = await readRunningProxy(path);
    // Then it checks what the same flags would have it check
    const flags = [
      '-l',
      '0.0.0.0:80',
      '-4',
      '127.0.0.2:8080',
      '-6',
      '[::1]:8080',
      '-mark',
      '7',
      '--connect-timeout',
      '2s',
      '--max-connections',
      '300',
      '--dynamic-destination',
    ];
    assert.deepEqual(setup, setupFromArgs(await parseDoctorArgs(flags)));
    assert.deepEqual(running, { pid: 4242, socket: path, connectTimeouts: 0 });
  });

  it('a UDP proxy without an IPv6 target and with the default limits reads like the flags too', async function () {
    await serve(({ summary }) => {
      summary.protocol = 'udp';
      Object.assign(summary.config, { mark: 0, connectTimeoutMs: 5000, maxConnections: 0, udpHeader: 'every' });
    });
    const { setup } = await readRunningProxy(path);
    assert.deepEqual(setup, setupFromArgs(await parseDoctorArgs(['-p', 'udp', '-4', '127.0.0.1:8080', '-6', 'none'])));
  });

  it('carries the loaded allowed subnets, which the security check judges', async function () {
    await serve(({ summary }) => (summary.config.allowedSubnets = ['192.0.2.0/24', '2001:db8::/32']));
    const { setup } = await readRunningProxy(path);
    assert.equal(setup.allowedSubnetsFile, null);
    assert.deepEqual(setup.allowedSubnets, ['192.0.2.0/24', '2001:db8::/32']);
    const report = await replayJson('no-routing', ['--from-running', '--socket', path, 'security']);
    assert.equal(report.checks[0]!.status, 'ok');
    assert.match(
      report.checks[0]!.summary,
      /^only 2 subnets from the running proxy's -allowed-subnets may connect to 0\.0\.0\.0:8443$/,
    );
  });

  it("cites the running proxy's connect timeouts in the loopback-routing finding", async function () {
    // Given the proxy of the no-routing fixture, which has counted 3 connect timeouts
    await serve((source) => {
      source.summary.listen = { family: 4, address: '127.0.0.1', port: 8443 };
      source.summary.targets = {
        ipv4: { family: 4, address: '127.0.0.1', port: 8080 },
        ipv6: { family: 6, address: '::1', port: 8080 },
      };
      source.current.counters.failures.connect_timeout = 3;
    });
    // When the doctor checks its routing
    const report = await replayJson('no-routing', ['--from-running', '--socket', path, 'routing']);
    // Then the failing finding says what the proxy has already suffered
    const v4 = report.checks.find((check) => check.id === 'loopback-routing-v4')!;
    assert.equal(v4.status, 'fail');
    assert.ok(
      v4.evidence.includes('the running proxy (pid 4242) has counted 3 connect timeouts'),
      v4.evidence.join('\n'),
    );
    assert.deepEqual(v4.remediation?.commands, [
      'ip route add local 0.0.0.0/0 dev lo table 123',
      'ip rule add from 127.0.0.1 iif lo ipproto tcp sport 8080 lookup 123',
    ]);
  });

  it('no proxy at --socket: one line saying what to do, exit 2', async function () {
    const { code, stderr } = await captureStderr(() => main(['doctor', '--from-running', '--socket', path]));
    assert.equal(code, 2);
    assert.match(
      stderr.split('\n')[0]!,
      /^mmproxy: --from-running: no mmproxy is running with a stats socket at .*proxy\.sock \(start the proxy, or pass --socket PATH\)$/,
    );
  });

  it("the proxy's flags with --from-running are a usage error naming them", async function () {
    const { code, stderr } = await captureStderr(() =>
      main(['doctor', '--from-running', '--socket', path, '-4', '127.0.0.1:80', '-mark', '1']),
    );
    assert.equal(code, 2);
    assert.match(
      stderr,
      /--from-running reads the setup from the running proxy: drop -4 -mark, or drop --from-running/,
    );
  });

  it('--socket without --from-running is a usage error', async function () {
    const { code, stderr } = await captureStderr(() => main(['doctor', '--socket', path]));
    assert.equal(code, 2);
    assert.match(stderr, /--socket names the running proxy to check: add --from-running/);
  });
});

describe('mmproxy doctor --from-running on a proxy running a config file', function () {
  it("checks every serving listener's setup, not a draining one, with the fd check sized for them all", function () {
    // Given a proxy running web (TCP, a port range), dns (UDP) and old (draining after a reload)
    const snapshot = listenersSnapshot();
    // When the doctor builds what to check from its snapshot
    const setups = listenerSetupsFromSnapshot(snapshot, 500);
    // Then it checks web and dns as --config would, each with its own protocol and targets
    assert.deepEqual(
      setups?.map(({ listener, setup }) => [listener, setup.protocol, setup.listen.port, setup.expectedConnections]),
      [
        ['web', 'tcp', 8443, 500],
        ['dns', 'udp', 5353, 500],
      ],
    );
  });

  it('reads a proxy of one listener as one setup, as before', function () {
    const snapshot = listenersSnapshot();
    snapshot.listeners = snapshot.listeners!.slice(0, 1);
    assert.equal(listenerSetupsFromSnapshot(snapshot), null);
    assert.equal(listenerSetupsFromSnapshot(emptySnapshot()), null);
  });
});
