/*
 * mmproxy behind real HAProxy, what the data path does: the client's address reaches the service, over IPv4
 * and IPv6 and both PROXY versions; health checks; -dynamic-destination; -mark; what a missing loopback route
 * looks like. Topology: lab/mmproxy/topology.ts (client → lb with HAProxy → app with mmproxy + service).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';

import { exchange } from '../../../lab/index.js';
import { addToSection, serverStat, type ServerStat } from './helpers/haproxy-extras.js';
import { stopMmproxy } from '../../../lab/mmproxy/mmproxy-process.js';
import { startHeldClient } from './helpers/held-client-process.js';
import { countMarks, removeMarkCounters } from './helpers/nft-mark.js';
import { useProxyTopology } from './helpers/use-proxy-topology.js';
import { APP, CLIENT_V4, LB_FRONT_V4, SERVICE_PORT } from '../../../lab/mmproxy/topology.js';
import { requestSnapshot } from '../../../src/stats/client.js';

const STATUS_POLL_MS = 200;
const CHECKS_DECIDED_WITHIN_MS = 10_000;

describe('mmproxy behind HAProxy (network namespaces)', function () {
  this.timeout(60_000);
  const t = useProxyTopology('proxyha');

  for (const version of ['v1', 'v2'] as const) {
    it(`the service sees the client's real address and port, IPv4 and IPv6, with send-proxy${version === 'v2' ? '-v2' : ''}`, async function () {
      const port = t().ports();
      const proxy = await t().mmproxy(port.mmproxy, []);
      await t().haproxy(port.lb, [{ address: APP, port: port.mmproxy, sendProxy: version }]);
      await t().assertClientSeen(port.lb, 4);
      await t().assertClientSeen(port.lb, 6);
      assert.deepEqual(await stopMmproxy(proxy), { code: 0, signal: null });
    });
  }

  it('server-first protocols work: the banner arrives before the client sends a byte', async function () {
    const port = t().ports();
    await t().mmproxy(port.mmproxy, []);
    await t().haproxy(port.lb, [{ address: APP, port: port.mmproxy, sendProxy: 'v2' }]);
    const result = await exchange(t().client, { connect: `${LB_FRONT_V4}:${port.lb}`, sendBytes: 0, expectPeer: true });
    assert.equal(result.ok, true, result.error);
    assert.equal(result.peer?.address, CLIENT_V4);
  });

  it('HAProxy health checks with check-send-proxy pass (server UP after checks that read the banner)', async function () {
    const port = t().ports();
    const socketPath = join(t().dir, `haproxy-${port.lb}.sock`);
    const proxy = await t().mmproxy(port.mmproxy, ['-v', '2']);
    await t().haproxy(
      port.lb,
      [
        { address: APP, port: port.mmproxy, sendProxy: 'v1', check: true },
        { address: APP, port: port.mmproxy, sendProxy: 'v2', check: true },
        // A control that must fail its checks: nothing listens there.
        { address: APP, port: 9, sendProxy: 'v2', check: true },
      ],
      (config) =>
        addToSection(
          addToSection(config, 'global', [`stats socket ${socketPath} mode 600 level admin`]),
          'backend be',
          // The check passes only if mmproxy connected to the service and relayed its banner back.
          ['option tcp-check', 'tcp-check expect rstring ^PEER', 'default-server rise 1 fall 1'],
        ),
    );
    // Each server's first check decides its state (rise 1 fall 1); poll until all three have one.
    const read = (): Promise<ServerStat[]> =>
      Promise.all(['s0', 's1', 's2'].map((s) => serverStat(socketPath, 'be', s)));
    const undecided = (stat: ServerStat): boolean => !/^[LS]/.test(stat.checkStatus) || /INI/.test(stat.checkStatus);
    const deadline = Date.now() + CHECKS_DECIDED_WITHIN_MS;
    let stats = await read();
    while (stats.some(undecided) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, STATUS_POLL_MS));
      stats = await read();
    }
    const [v1, v2, control] = stats;
    assert.deepEqual([v1?.status, v1?.checkStatus], ['UP', 'L7OK'], JSON.stringify(v1));
    assert.deepEqual([v2?.status, v2?.checkStatus], ['UP', 'L7OK'], JSON.stringify(v2));
    assert.equal(control?.status, 'DOWN', `the control server should fail its checks: ${JSON.stringify(control)}`);
    assert.deepEqual(await stopMmproxy(proxy), { code: 0, signal: null });
  });

  it('-dynamic-destination connects to the destination in the PROXY header', async function () {
    const port = t().ports();
    // -4 points nowhere: only the header's destination (rewritten by HAProxy to the service) can work.
    await t().mmproxy(port.mmproxy, ['-dynamic-destination', '-v', '1'], ['-4', '127.0.0.1:9']);
    await t().haproxy(port.lb, [{ address: APP, port: port.mmproxy, sendProxy: 'v2' }], (config) =>
      addToSection(config, 'frontend fe', [
        'tcp-request connection set-dst ipv4(127.0.0.1)',
        `tcp-request connection set-dst-port int(${SERVICE_PORT})`,
      ]),
    );
    await t().assertClientSeen(port.lb, 4);
  });

  it('-mark sets the mark on every packet mmproxy sends to the service', async function () {
    const port = t().ports();
    const counts = await countMarks(t().app, SERVICE_PORT, 0x2a);
    try {
      await t().mmproxy(port.mmproxy, ['-mark', '0x2a']);
      await t().haproxy(port.lb, [{ address: APP, port: port.mmproxy, sendProxy: 'v2' }]);
      assert.deepEqual(await counts(), { marked: 0, unmarked: 0 });
      await t().assertClientSeen(port.lb, 4);
      const after = await counts();
      assert.ok(after.marked >= 3, `marked packets: ${JSON.stringify(after)}`);
      assert.equal(after.unmarked, 0, `unmarked packets to the service: ${JSON.stringify(after)}`);
    } finally {
      await removeMarkCounters(t().app);
    }
  });

  it('-listeners 2 spreads connections over both workers (flow records from the stats socket)', async function () {
    const port = t().ports();
    const connections = 16;
    const proxy = await t().mmproxy(port.mmproxy, ['-listeners', '2']);
    await proxy.waitForOutput(new RegExp(`stats_socket=${t().statsSocket(port.mmproxy)}`), 5_000, 'stderr');
    await t().haproxy(port.lb, [{ address: APP, port: port.mmproxy, sendProxy: 'v2' }]);
    const { stdout: listening } = await t().app.run(['ss', '-tlnH', 'sport', '=', `:${port.mmproxy}`]);
    assert.equal(listening.trim().split('\n').length, 2, `two SO_REUSEPORT listeners:\n${listening}`);

    const release = join(t().dir, `release-${port.mmproxy}`);
    const held = await startHeldClient(t().client, `${LB_FRONT_V4}:${port.lb}`, release, 4096, connections);
    t().track(held.process);
    const snapshot = await requestSnapshot(t().statsSocket(port.mmproxy));
    const ours = snapshot.flows.filter(
      (flow) => flow.client?.address === CLIENT_V4 && held.localPorts.includes(flow.client.port),
    );
    assert.equal(ours.length, connections, `flows: ${JSON.stringify(snapshot.flows)}`);
    const perWorker = [0, 1].map((worker) => ours.filter((flow) => flow.worker === worker).length);
    t().app.log.note(`-listeners 2: flows per worker ${perWorker.join(' / ')}`);
    // The kernel hashes each connection to a listener: all 16 on one of two has odds of 1 in 32768.
    assert.ok(
      perWorker.every((count) => count > 0),
      `flows per worker: ${perWorker.join(', ')}`,
    );

    const result = await held.release();
    assert.equal(result.ok, true, result.error);
    assert.equal(result.intact, connections);
    assert.deepEqual(await stopMmproxy(proxy), { code: 0, signal: null });
  });

  it('without loopback routing the connect times out, HAProxy logs SD with 0 bytes, and mmproxy names the cause', async function () {
    const port = t().ports();
    const proxy = await t().mmproxy(port.mmproxy, ['--connect-timeout', '1s']);
    const lbProxy = await t().haproxy(port.lb, [{ address: APP, port: port.mmproxy, sendProxy: 'v1' }]);
    await t().app.removeLoopbackRouting();
    try {
      // A client that speaks first and one that waits for the server's banner: both end the same way.
      for (const expectPeer of [false, true]) {
        const result = await exchange(t().client, { connect: `${LB_FRONT_V4}:${port.lb}`, sendBytes: 10, expectPeer });
        assert.equal(result.receivedBytes, 0, 'the service answered without loopback routing');
        // tcplog: client:port [date] fe be/s0 Tw/Tc/Tt bytes_read termination_state ...
        const client = `${CLIENT_V4.replaceAll('.', '\\.')}:${result.localPort}`;
        await lbProxy.waitForLog(new RegExp(`^${client} \\[[^\\]]+\\] fe be/s0 \\d+/\\d+/\\d+ 0 SD `, 'm'));
        await proxy.waitForOutput(
          new RegExp(
            `error connect_timeout: .*from ${client} timed out .*not routed back over loopback.*run \`mmproxy doctor\``,
          ),
          5_000,
          'stderr',
        );
      }
    } finally {
      await t().app.addLoopbackRouting();
    }
  });
});
