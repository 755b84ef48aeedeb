/*
 * `mmproxy --config FILE`, the real CLI: many listeners in one process, and a live reload on SIGHUP, with
 * real HAProxy in front (one per port) and the real kernel spoofing each client's address. Topology:
 * lab/mmproxy/topology.ts (client → lb with HAProxy → app with mmproxy + service), and a UDP service in app:
 *
 *   client ──▶ haproxy :81xx ──PROXY v2──▶ mmproxy 192.0.2.2:85xx (tcp: ssh, web 8511-8513, gone) ──▶ 127.0.0.1:7000
 *   app: udp-sender ──PROXY v2──▶ mmproxy 192.0.2.2:8531 (udp: dns) ──▶ 127.0.0.1:7002
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { exchange, payload, sha256, startPeerService } from '../../../lab/index.js';
import { startMmproxy, stopMmproxy } from '../../../lab/mmproxy/mmproxy-process.js';
import { APP, BYTES, CLIENT_V4, LB_FRONT_V4, SERVICE_PORT } from '../../../lab/mmproxy/topology.js';
import { parsePeerReply, proxied, sendDatagrams } from '../dataplane/harness/udp.js';
import { startHeldClient } from './helpers/held-client-process.js';
import { useProxyTopology } from './helpers/use-proxy-topology.js';

const UDP_SERVICE = `127.0.0.1:${SERVICE_PORT + 2}`;
/** HAProxy's port in front of each mmproxy port: 85xx → 81xx. */
const lbPort = (port: number): number => port - 400;

function listener(name: string, listen: string, extra = ''): string {
  return `[[listener]]\nname = "${name}"\nlisten = "${APP}:${listen}"\n${extra}\n`;
}

function configText(stats: string, listeners: string): string {
  return (
    `workers = 2\ndrain-timeout = "20s"\nstats-socket = "${stats}"\n\n` +
    `[defaults]\ntarget4 = "127.0.0.1:${SERVICE_PORT}"\ntarget6 = "none"\n\n${listeners}`
  );
}

const SSH = listener('ssh', '8501');
const DNS = listener('dns', '8531', `protocol = "udp"\ntarget4 = "${UDP_SERVICE}"`);

describe('mmproxy --config: many listeners, reloaded live (network namespaces)', function () {
  this.timeout(90_000);
  const t = useProxyTopology('proxycf');

  async function assertRefused(port: number, why: string): Promise<void> {
    const result = await exchange(t().client, {
      connect: `${LB_FRONT_V4}:${lbPort(port)}`,
      sendBytes: 10,
      expectPeer: true,
      timeoutMs: 8_000,
    });
    assert.equal(result.ok, false, why);
  }

  let udpClientPort = 40050;
  /** Each call a new client: a session lives on for close-after, bound to its client's address and port. */
  async function assertUdpClientSeen(): Promise<void> {
    const client = { address: CLIENT_V4, port: ++udpClientPort };
    const result = await sendDatagrams(t().app, {
      from: APP,
      to: `${APP}:8531`,
      datagrams: [proxied(client, 'query')],
      expect: 1,
    });
    assert.deepEqual(parsePeerReply(result.replies[0]?.text ?? ''), { ...client, payload: 'query' });
  }

  it('runs every listener of the file; SIGHUP adds, removes and changes them while a flow streams; a bad file changes nothing', async function () {
    t().track(await startPeerService(t().app, UDP_SERVICE, { udp: true }));
    const file = join(t().dir, 'mmproxy.toml');
    const stats = join(t().dir, 'config-file.sock');
    await writeFile(file, configText(stats, SSH + listener('web', '8511-8513') + listener('gone', '8521') + DNS));
    const proxy = t().track(await startMmproxy(t().app, ['--config', file]));
    await proxy.waitForOutput(/listening: 4 listeners \(3 tcp, 1 udp\) on 6 ports from /, 10_000, 'stderr');
    assert.match(proxy.stderr, /listening: listening on 192\.0\.2\.2:8511-8513 \(tcp, 2 listeners\).* listener=web/);
    for (const name of ['ssh', 'web', 'gone', 'dns']) {
      assert.match(proxy.stderr, new RegExp(`any_peer: .* listener=${name}\\n`));
    }
    for (const port of [8501, 8511, 8512, 8513, 8521]) {
      await t().haproxy(lbPort(port), [{ address: APP, port, sendProxy: 'v2' }]);
      await t().assertClientSeen(lbPort(port), 4);
    }
    await assertUdpClientSeen();

    // A flow streams on ssh (unchanged) across the reload (HAProxy's idle timeout: released within 10s).
    await t().haproxy(lbPort(8541), [{ address: APP, port: 8541, sendProxy: 'v2' }]);
    const held = await startHeldClient(
      t().client,
      `${LB_FRONT_V4}:${lbPort(8501)}`,
      join(t().dir, 'release-config-file'),
      BYTES,
    );
    t().track(held.process);
    const web = listener('web', '8511-8512', 'header-timeout = "3s"');
    await writeFile(file, configText(stats, SSH + web + DNS + listener('extra', '8541')));
    proxy.kill('SIGHUP');
    await proxy.waitForOutput(
      /reload: SIGHUP: .*mmproxy\.toml: 4 listeners: added extra; removed gone; changed web; 2 unchanged/,
      10_000,
      'stderr',
    );
    for (const port of [8511, 8512, 8541]) await t().assertClientSeen(lbPort(port), 4);
    const result = await held.release();
    assert.equal(result.ok, true, result.error);
    assert.deepEqual(result.receivedSha256, [sha256(payload(BYTES))]);
    await assertUdpClientSeen();
    await assertRefused(8513, 'the port web gave up still accepts');
    await assertRefused(8521, 'the removed listener still accepts');
    await proxy.waitForOutput(/listener_gone: listener gone: .*listener=gone accepted=1 completed=1/, 10_000, 'stderr');

    await writeFile(file, configText(stats, SSH + web + 'bogus = 1\n'));
    proxy.kill('SIGHUP');
    await proxy.waitForOutput(
      /error reload_failed: SIGHUP: .*mmproxy\.toml: 1 mistake, nothing changed: .*mmproxy\.toml:\d+:1: listener "web": bogus: not a listener setting/,
      10_000,
      'stderr',
    );
    for (const port of [8501, 8511, 8541]) await t().assertClientSeen(lbPort(port), 4);
    await assertUdpClientSeen();

    assert.deepEqual(await stopMmproxy(proxy), { code: 0, signal: null });
    // Every connection of the process's life, the removed listener's included: 12 TCP flows, all completed, and
    // 3 UDP sessions, open until the end.
    assert.match(proxy.stderr, /stopped: all connections closed accepted=15 completed=12 /);
  });
});
