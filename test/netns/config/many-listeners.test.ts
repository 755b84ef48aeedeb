/*
 * Issue 17's showcase: one `mmproxy --config FILE` with 55 listeners behind real HAProxy, and a live reload.
 *
 *   ┌─ client ──────────────┐      ┌─ lb ────────────────────────────┐      ┌─ app ─────────────────────────────────┐
 *   │ eth0 203.0.113.10/24  ├──────┤ haproxy: one frontend per port  │      │ mmproxy --config FILE (2 workers)     │
 *   │      2001:db8:1::10/64│ veth │   :8501-8552, :8600-8604        │      │   tcp-01..44  192.0.2.2:8501-8544     │
 *   └───────────────────────┘      │   → 192.0.2.2:same port         ├──────┤   range       192.0.2.2:8600-8604     │
 *                                  │     send-proxy (v1) / -v2       │ veth │   udp-01..10  192.0.2.2:8901-8910     │
 *                                  │ udp-sender 192.0.2.1 (PROXY v2  │      │ peer services 127.0.0.1, [::1]:       │
 *                                  │   DGRAM headers, as an LB would)│      │   :7000 (tcp, udp) at first           │
 *                                  └─────────────────────────────────┘      │   :7001 (tcp, udp) changed listeners  │
 *                                                                           └───────────────────────────────────────┘
 *
 * The stages share one mmproxy process, in order: every listener serves the client's own address; a reload
 * (remove 10, change 10, add 10) under 100 streaming flows loses no byte; a bad file is refused and nothing
 * changes; SIGTERM ends it cleanly. Topology: lab/mmproxy/topology.ts; listeners: helpers/many-listeners.ts.
 */
import assert from 'node:assert/strict';
import { readFile, readlink, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

import {
  exchange,
  type HostProcess,
  scaled,
  startHaproxy,
  startPeerService,
  startStreamFlows,
  tcpProxiesConfig,
} from '../../../lab/index.js';
import { MMPROXY_BIN } from '../../../lab/mmproxy/mmproxy-process.js';
import { APP, CLIENT_V4, LB_FRONT_V4 } from '../../../lab/mmproxy/topology.js';
import { descriptorCount, threadCount } from '../hardening/helpers/process-usage.js';
import { useProxyTopology } from '../proxy/helpers/use-proxy-topology.js';
import {
  assertEveryListenerSeesClient,
  clientPorts,
  logLines,
  reload,
  type Services,
  startFromConfig,
  waitUntilBound,
  waitUntilNoUdpSessions,
  waitUntilUnbound,
  writeConfig,
} from './helpers/config-proxy.js';
import {
  CHANGED_SERVICE_PORT,
  configFile,
  FIRST_SERVICE_PORT,
  haproxyProxies,
  initialListeners,
  portsOf,
  reloaded,
} from './helpers/many-listeners.js';

const WORKERS = 2;
const STREAMING_FLOWS = 100;
const FDS_SETTLE_MS = 5_000;

describe('one mmproxy, 55 listeners from a config file, live reload (network namespaces)', function () {
  this.timeout(120_000);
  const t = useProxyTopology('manylst');
  const initial = initialListeners();
  const change = reloaded(initial);
  let file = '';
  let services: Services;
  let proxy: HostProcess;
  /** Once every listener has served a flow: what the process holds when idle. */
  let idle = { fds: 0, threads: 0, kinds: {} as Record<string, number> };

  /** The process's descriptors by kind (socket, eventpoll, eventfd, pipe, file…), for a message that says which. */
  async function descriptorKinds(): Promise<Record<string, number>> {
    const dir = `/proc/${proxy.pid}/fd`;
    const targets = await Promise.all((await readdir(dir)).map((fd) => readlink(join(dir, fd)).catch(() => 'gone')));
    const kinds: Record<string, number> = {};
    for (const target of targets) {
      const kind = /^(?:anon_inode:\[?)?([a-z_]+)/.exec(target)?.[1] ?? target;
      kinds[kind] = (kinds[kind] ?? 0) + 1;
    }
    return kinds;
  }

  before(async function () {
    const { app, lb } = t();
    const [changedTcp4, changedTcp6, changedUdp] = await Promise.all([
      startPeerService(app, `127.0.0.1:${CHANGED_SERVICE_PORT}`),
      startPeerService(app, `[::1]:${CHANGED_SERVICE_PORT}`),
      startPeerService(app, `127.0.0.1:${CHANGED_SERVICE_PORT}`, { udp: true }),
      startPeerService(app, `127.0.0.1:${FIRST_SERVICE_PORT}`, { udp: true }),
    ]);
    services = { changedTcp4: changedTcp4, changedTcp6: changedTcp6, changedUdp: changedUdp };
    // Frontends for the listeners the reload adds too: until then HAProxy finds nobody behind them.
    const proxies = haproxyProxies([...initial, ...change.added]);
    await startHaproxy(lb, { config: tcpProxiesConfig(proxies, { timeoutServerMs: 30_000 }) });
    await waitUntilBound(
      lb,
      [...initial, ...change.added].filter((listener) => listener.protocol === 'tcp'),
    );
    file = join(t().dir, 'mmproxy.toml');
    await writeConfig(file, configFile(initial, { statsSocket: join(t().dir, 'stats.sock'), workers: WORKERS }));
    proxy = await startFromConfig(app, file, initial);
  });

  it('check-config takes the file: 55 listeners (45 tcp, 10 udp) on 59 ports', async function () {
    const result = await t().app.exec([process.execPath, MMPROXY_BIN, 'check-config', file]);
    assert.equal(result.stdout, `${file}: ok, 55 listeners (45 tcp, 10 udp) on 59 ports\n`, result.stderr);
    assert.equal(result.code, 0);
  });

  it('every listener serves, and the service sees the client’s own address (v1 and v2, IPv4 and IPv6, UDP)', async function () {
    const listening = logLines(proxy).filter((line) => /listening/.test(`${String(line.kind)} ${String(line.msg)}`));
    const named = new Set(listening.map((line) => line.listener));
    assert.deepEqual(
      initial.filter((listener) => !named.has(listener.name)).map((listener) => listener.name),
      [],
      'listeners without a `listening` log line naming them',
    );
    await assertEveryListenerSeesClient(t(), initial, services);
    await waitUntilNoUdpSessions(t().app, proxy.pid);
    idle = {
      fds: await descriptorCount(proxy.pid),
      threads: await threadCount(proxy.pid),
      kinds: await descriptorKinds(),
    };
    t().app.log.note(`55 listeners, idle: ${idle.fds} descriptors, ${idle.threads} threads`);
    // One pool of workers serves every listener: 55 listeners with threads of their own would be 110 threads.
    assert.ok(idle.threads < initial.length, `${idle.threads} threads for ${initial.length} listeners`);
  });

  it('a reload adds 10, removes 10 and changes 10 while 100 flows stream on the others: not a byte lost', async function () {
    const { app, client, lb } = t();
    const tcpPorts = (listeners: typeof initial) =>
      listeners.filter((listener) => listener.protocol === 'tcp').flatMap(portsOf);
    const releaseFile = join(t().dir, 'release-streams');
    const markFile = join(t().dir, 'reloaded');
    const streams = await startStreamFlows(client, {
      connect: tcpPorts(change.unchanged).map((port) => `${LB_FRONT_V4}:${port}`),
      flows: STREAMING_FLOWS,
      releaseFile,
      markFile,
      timeoutMs: scaled(90_000),
      firstLocalPort: clientPorts(STREAMING_FLOWS),
    });
    // Flows opened before the reload on listeners it removes or changes: they drain on the old listener.
    const drainRelease = join(t().dir, 'release-drain');
    const draining = await startStreamFlows(client, {
      connect: tcpPorts([...change.removed, ...change.changed]).map((port) => `${LB_FRONT_V4}:${port}`),
      flows: 10,
      releaseFile: drainRelease,
      timeoutMs: scaled(90_000),
      firstLocalPort: clientPorts(10),
    });
    try {
      for (const flow of [...streams.ready, ...draining.ready])
        assert.deepEqual(flow.peer, { address: CLIENT_V4, port: flow.localPort }, flow.connect);

      await writeConfig(
        file,
        configFile(change.listeners, { statsSocket: join(t().dir, 'stats.sock'), workers: WORKERS }),
      );
      const line = await reload(proxy, 'reload');
      app.log.note(`reload: ${JSON.stringify(line)}`);
      await writeConfig(markFile, '');
      await waitUntilBound(app, change.added);

      // Added and changed listeners serve (a changed one from its new service port) while the flows stream on.
      await assertEveryListenerSeesClient(t(), [...change.added, ...change.changed], services);

      const drained = await draining.release();
      assert.equal(drained.ok, true, `flows on removed and changed listeners: ${JSON.stringify(drained)}`);
      assert.equal(drained.intact, 10);
      await waitUntilUnbound(app, change.removed);
      await Promise.all(
        tcpPorts(change.removed)
          .slice(0, 2)
          .map(async (port) => {
            const refused = await exchange(lb, { connect: `${APP}:${port}`, expectPeer: true, timeoutMs: 3_000 });
            assert.match(
              refused.error ?? '',
              /ECONNREFUSED/,
              `removed listener, port ${port}: ${JSON.stringify(refused)}`,
            );
          }),
      );

      const result = await streams.release();
      const problems = result.flows.filter(
        (flow) =>
          flow.error !== undefined ||
          flow.echoedSha256 !== flow.sentSha256 ||
          flow.sentAtMark === undefined ||
          flow.sentAtMark === 0 ||
          flow.sentBytes <= flow.sentAtMark,
      );
      assert.deepEqual(problems, [], 'flows lost bytes, or did not stream both before and after the reload');
      assert.equal(result.ok, true, result.error);
      assert.equal(result.intact, STREAMING_FLOWS);
      const bytes = result.flows.reduce((sum, flow) => sum + flow.sentBytes, 0);
      app.log.note(`reload under load: ${STREAMING_FLOWS} flows, ${bytes} bytes each way, all intact`);
    } finally {
      // A failure above leaves no flow streaming into the next test.
      await Promise.all([writeFile(releaseFile, ''), writeFile(drainRelease, '')]);
    }
  });

  it('a bad file is refused with reload_failed, and every listener still serves as before', async function () {
    const bad = configFile(change.listeners, { statsSocket: join(t().dir, 'stats.sock'), workers: WORKERS });
    // Port 8602 is the range's; and a key nobody knows.
    await writeConfig(
      file,
      `${bad}\n[[listener]]\nname = "clash"\nlisten = "${APP}:8602"\ntarget4 = "127.0.0.1:7000"\nconect-timeout = "1s"\n`,
    );
    const failed = await reload(proxy, 'reload_failed');
    assert.match(JSON.stringify(failed), /8602|overlap|clash/, 'the reload_failed line says what is wrong');
    await assertEveryListenerSeesClient(t(), change.listeners, services);
    await waitUntilUnbound(t().app, change.removed);
  });

  it('holds what it held before the reloads: no descriptor leaked, the same worker threads', async function () {
    // Replaced listeners close once drained, sessions once idle; poll until the count is back (bounded).
    await waitUntilNoUdpSessions(t().app, proxy.pid);
    const deadline = Date.now() + scaled(FDS_SETTLE_MS);
    let fds = await descriptorCount(proxy.pid);
    while (fds !== idle.fds && Date.now() < deadline) {
      await delay(100);
      fds = await descriptorCount(proxy.pid);
    }
    if (fds !== idle.fds) {
      const { stdout } = await t().app.run(['ss', '-tuanpe']);
      const ours = stdout.split('\n').filter((line) => line.includes(`pid=${proxy.pid},`));
      t().app.log.note(`mmproxy's sockets after the reloads:\n${ours.join('\n')}`);
    }
    assert.deepEqual(
      { fds, kinds: await descriptorKinds() },
      { fds: idle.fds, kinds: idle.kinds },
      'descriptors after the reloads, by kind, against before them',
    );
    assert.equal(await threadCount(proxy.pid), idle.threads, await readFile(`/proc/${proxy.pid}/status`, 'utf8'));
  });

  it('SIGTERM ends it cleanly: exit 0, no port left bound', async function () {
    proxy.kill('SIGTERM');
    assert.deepEqual(await proxy.exited, { code: 0, signal: null }, proxy.stderr);
    await waitUntilUnbound(t().app, change.listeners);
  });
});
