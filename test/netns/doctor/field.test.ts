/**
 * The field failure end to end with real HAProxy, once with the proxy the
 * field ran (go-mmproxy, Debian's package) and once with ours:
 *
 *   ┌── gw: the load balancer ──────┐        ┌── srv: backend server "s0" ─────────┐
 *   │ client → HAProxy 198.51.100.1 ├────────┤ go-mmproxy or mmproxy :8443         │
 *   │ :9000, send-proxy, tcplog     │  veth  │  → app 127.0.0.1:8080 (no loopback   │
 *   └───────────────────────────────┘        │    policy routing at first)          │
 *                                            └──────────────────────────────────────┘
 *
 * HAProxy's own log is fed to `mmproxy doctor` on srv, which must name the
 * server, tie it to the missing routing, fix it, and HAProxy must then log
 * successful sessions that the doctor calls healthy.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  assertNoLeaks,
  exchange,
  type Haproxy,
  type Host,
  Lab,
  startHaproxy,
  startPeerService,
  tcpProxyConfig,
} from '../../../lab/index.js';
import { printLabLogOnFailure, requireNetns, requirePrerequisite } from '../support/index.js';
import { MMPROXY_BIN, REPO_ROOT, runDoctor, runDoctorJson } from './helpers/run-doctor.js';
import { buildTopology } from './helpers/scenarios.js';

const GO_MMPROXY = '/usr/bin/go-mmproxy';
const PROXY_ARGS = ['-l', '198.51.100.2:8443', '-4', '127.0.0.1:8080', '-6', '[::1]:8080'];
// Like an SSH client, the client speaks after the proxy has the header: its bytes are unread when go-mmproxy
// gives up, so go-mmproxy's close resets HAProxy's connection (SD), as in the field. Sent with the header, they
// could be read along with it and the close would be a clean FIN (--).
const CLIENT_SEND_DELAY_MS = 300;
// Both proxies give up on the upstream connect within ~7 s; the client waits longer.
const CLIENT_TIMEOUT_MS = 15_000;

interface ProxyUnderTest {
  name: string;
  argv: string[];
  /** Why it cannot run here, or null. */
  missing(): string | null;
  /** What the doctor must say about the cluster time. */
  giveUp: RegExp;
}

const PROXIES: ProxyUnderTest[] = [
  {
    name: 'go-mmproxy',
    argv: [GO_MMPROXY, ...PROXY_ARGS, '-v', '2'],
    missing: () => (existsSync(GO_MMPROXY) ? null : `${GO_MMPROXY} is not installed: apt-get install go-mmproxy`),
    giveUp: /TCP_SYNCNT=2 sends SYNs at 0, 1 and 3 s/,
  },
  {
    name: 'mmproxy',
    argv: [process.execPath, MMPROXY_BIN, ...PROXY_ARGS, '-v', '2'],
    missing: () =>
      existsSync(join(REPO_ROOT, 'dist', 'src', 'cli', 'commands', 'proxy.js'))
        ? null
        : 'the mmproxy proxy command is not built: npm run build',
    giveUp: /mmproxy's default --connect-timeout of 5 s/,
  },
];
const LOG_WAIT_MS = 15_000;

async function sessionLines(haproxy: Haproxy, pattern: RegExp, count: number): Promise<string[]> {
  const deadline = Date.now() + LOG_WAIT_MS;
  for (;;) {
    const lines = haproxy.logLines().filter((line) => pattern.test(line));
    if (lines.length >= count) return lines;
    if (Date.now() > deadline)
      throw new Error(
        `HAProxy logged ${lines.length}/${count} lines matching ${pattern}:\n${haproxy.logLines().join('\n')}`,
      );
    await haproxy.waitForLog(pattern, LOG_WAIT_MS).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

for (const proxy of PROXIES)
  describe(`doctor on the field failure: HAProxy → ${proxy.name} without loopback routing`, function () {
    this.timeout(90_000);
    let lab: Lab;
    let srv: Host;
    let gw: Host;
    let haproxy: Haproxy;
    let logDir: string;

    before(async function () {
      requireNetns(this);
      requirePrerequisite(this, proxy.missing());
      lab = Lab.create('drfield');
      ({ srv, gw } = await buildTopology(lab));
      await startPeerService(srv, '127.0.0.1:8080');
      await startPeerService(srv, '[::1]:8080');
      srv.spawn(proxy.argv);
      await srv.waitForPort(8443);
      haproxy = await startHaproxy(gw, {
        config: tcpProxyConfig({
          bind: { address: '198.51.100.1', port: 9000 },
          servers: [{ address: '198.51.100.2', port: 8443, sendProxy: 'v1' }],
        }),
        waitForPorts: [9000],
      });
      logDir = mkdtempSync(join(tmpdir(), 'mmproxy-doctor-field-'));
    });
    afterEach(function () {
      printLabLogOnFailure(this, lab);
    });
    after(async function () {
      if (logDir) rmSync(logDir, { recursive: true, force: true });
      if (!lab) return;
      await lab.destroy();
      await assertNoLeaks(lab);
    });

    it('HAProxy logs SD with 0 bytes; the doctor names the server and the missing routing; --fix repairs it', async function () {
      const clients = await Promise.all(
        [1, 2].map(() =>
          exchange(gw, {
            connect: '198.51.100.1:9000',
            sendBytes: 100,
            sendAfterMs: CLIENT_SEND_DELAY_MS,
            timeoutMs: CLIENT_TIMEOUT_MS,
          }),
        ),
      );
      assert.deepEqual(
        clients.map((client) => client.receivedBytes),
        [0, 0],
        'nothing came back through the proxy',
      );
      const failed = await sessionLines(haproxy, / be\/s0 \S+ 0 SD /, 2);
      const logPath = join(logDir, 'broken.log');
      writeFileSync(logPath, failed.join('\n') + '\n');

      const report = await runDoctorJson(srv, [...PROXY_ARGS, '--haproxy-log', logPath]);
      const log = report.checks.get('haproxy-log');
      assert.equal(log?.status, 'fail');
      assert.match(
        log?.summary ?? '',
        /^server s0: 2\/2 sessions aborted by the server side after ~\d+\.\d s with 0 bytes — mmproxy on s0 could not complete its upstream connect; run `mmproxy doctor` on s0$/,
      );
      assert.ok(
        log?.evidence.some((line) => proxy.giveUp.test(line)),
        `the cluster is ${proxy.name}'s give-up time:\n${log?.evidence.join('\n')}`,
      );
      assert.equal(report.rootCause?.id, 'loopback-routing-v4');
      assert.equal(
        report.checks.get('loopback-routing-v4')?.summary,
        'no rule sends replies from 127.0.0.1 (iif lo) to a table with a local route',
      );

      const human = await runDoctor(srv, [...PROXY_ARGS, '--haproxy-log', logPath]);
      assert.match(
        human.stdout,
        /If this host is s0, this is why HAProxy's sessions to s0 ended with 0 bytes from the server side\./,
      );

      const fixed = await runDoctor(srv, [...PROXY_ARGS, '--fix', '--yes']);
      assert.equal(fixed.code, 0, fixed.stdout);

      const before = haproxy.logLines().length;
      const client = await exchange(gw, {
        connect: '198.51.100.1:9000',
        sendBytes: 100,
        expectPeer: true,
        timeoutMs: CLIENT_TIMEOUT_MS,
      });
      assert.ok(client.ok, JSON.stringify(client));
      assert.deepEqual(client.peer?.address, '198.51.100.1', 'the app saw the real client address');
      const healthy = (await sessionLines(haproxy, / be\/s0 \S+ [1-9]\d* -- /, 1)).filter(
        (line) => !haproxy.logLines().slice(0, before).includes(line),
      );
      const healthyPath = join(logDir, 'healthy.log');
      writeFileSync(healthyPath, healthy.join('\n') + '\n');
      const after = await runDoctorJson(srv, [...PROXY_ARGS, '--haproxy-log', healthyPath]);
      assert.equal(after.checks.get('haproxy-log')?.status, 'ok');
      assert.equal(after.checks.get('haproxy-log')?.summary, 'every server healthy (s0)');
      assert.equal(after.code, 0);
    });
  });
