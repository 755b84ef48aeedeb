/*
 * The real `mmproxy` CLI as an unprivileged user holding only CAP_NET_ADMIN
 * (and CAP_NET_BIND_SERVICE for a port below 1024), started with setpriv
 * inside the proxy topology, with real HAProxy in front:
 *
 *   client ──▶ lb: haproxy :80xx ──send-proxy-v2──▶ app: setpriv --reuid=<free uid> … mmproxy 192.0.2.2:84xx
 *   (203.0.113.10, 2001:db8:1::10)                                    │ spoofed from the client's address
 *                                                                     ▼
 *                                                    peer-service 127.0.0.1:7000 / [::1]:7000 (reports its peer)
 *
 * UDP: the lb host plays the load balancer with PROXY v2 datagrams (HAProxy has no UDP).
 * Each test reads /proc/PID/status to prove what the proxy really held.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';

import { requestSnapshot } from '../../../src/stats/client.js';
import { parsePeerReply, proxied, sendDatagrams } from '../dataplane/harness/udp.js';
import { startPeerService } from '../../../lab/index.js';
import { stopMmproxy } from '../../../lab/mmproxy/mmproxy-process.js';
import { APP, CLIENT_V4, CLIENT_V6, LB_BACK, TARGETS } from '../../../lab/mmproxy/topology.js';
import { useProxyTopology } from '../proxy/helpers/use-proxy-topology.js';
import {
  capabilityMask,
  type Identity,
  type Privileges,
  readCredentials,
  unusedIdentity,
} from './helpers/privilege/credentials.js';
import {
  cliRunnableBy,
  type RunnableCli,
  runMmproxyAs,
  runtimeDirectoryFor,
  startMmproxyAs,
} from './helpers/privilege/mmproxy-as.js';

const UDP_SERVICE_PORT = 7100;
const PRIVILEGED_PORT = 443;

function holding(identity: Identity, capabilities: string[]): Privileges {
  return { identity, ambient: capabilities, bounding: capabilities, noNewPrivileges: true };
}

describe('least privilege: the proxy as an unprivileged user with only its capabilities', function () {
  this.timeout(60_000);
  const net = useProxyTopology('privcli');
  const identity = unusedIdentity();
  let runtimeDir = '';
  let cli: RunnableCli | undefined;

  before(async function () {
    cli = await cliRunnableBy(identity);
    runtimeDir = await runtimeDirectoryFor(identity);
    await startPeerService(net().app, `127.0.0.1:${UDP_SERVICE_PORT}`, { udp: true });
    await startPeerService(net().app, `[::1]:${UDP_SERVICE_PORT}`, { udp: true });
  });
  after(async function () {
    if (runtimeDir) await rm(runtimeDir, { recursive: true, force: true });
    await cli?.remove();
  });

  it('serves IPv4 and IPv6 clients through HAProxy from their own addresses, holding CAP_NET_ADMIN alone', async function () {
    const { mmproxy: port, lb } = net().ports();
    const proxy = net().track(
      await startMmproxyAs(
        net().app,
        cli!.bin,
        holding(identity, ['CAP_NET_ADMIN']),
        ['-l', `${APP}:${port}`, ...TARGETS],
        runtimeDir,
      ),
    );
    const held = await readCredentials(proxy.pid);
    assert.deepEqual(held.uids, [identity.uid, identity.uid, identity.uid, identity.uid]);
    assert.equal(held.effective, capabilityMask(['CAP_NET_ADMIN']));
    assert.equal(held.permitted, capabilityMask(['CAP_NET_ADMIN']));
    assert.equal(held.bounding, capabilityMask(['CAP_NET_ADMIN']));
    assert.equal(held.noNewPrivileges, true);

    await net().haproxy(lb, [{ address: APP, port, sendProxy: 'v2' }]);
    await net().assertClientSeen(lb, 4);
    await net().assertClientSeen(lb, 6);

    // The stats socket went to $RUNTIME_DIRECTORY (systemd's RuntimeDirectory=), which this user owns.
    const socket = join(runtimeDir, `${proxy.pid}.sock`);
    assert.match(proxy.stderr, new RegExp(`stats_socket=${socket}`));
    assert.equal((await requestSnapshot(socket)).counters.established, 2);
    assert.deepEqual(await stopMmproxy(proxy), { code: 0, signal: null });
  });

  it("relays UDP datagrams from the clients' addresses, holding CAP_NET_ADMIN alone", async function () {
    const { mmproxy: port } = net().ports();
    const targets = ['-4', `127.0.0.1:${UDP_SERVICE_PORT}`, '-6', `[::1]:${UDP_SERVICE_PORT}`];
    const proxy = net().track(
      await startMmproxyAs(
        net().app,
        cli!.bin,
        holding(identity, ['CAP_NET_ADMIN']),
        ['-p', 'udp', '-l', `${APP}:${port}`, ...targets],
        runtimeDir,
      ),
    );
    assert.equal((await readCredentials(proxy.pid)).effective, capabilityMask(['CAP_NET_ADMIN']));
    const clients = [
      { address: CLIENT_V4, port: 40001 },
      { address: CLIENT_V6, port: 40002 },
    ];
    const result = await sendDatagrams(net().lb, {
      from: LB_BACK,
      to: `${APP}:${port}`,
      datagrams: clients.map((client) => proxied(client, 'hello')),
      expect: 2,
      lockstep: true,
    });
    assert.deepEqual(
      result.replies.map((reply) => parsePeerReply(reply.text)),
      clients.map((client) => ({ ...client, payload: 'hello' })),
    );
    assert.deepEqual(await stopMmproxy(proxy), { code: 0, signal: null });
  });

  it('without CAP_NET_ADMIN refuses to start, naming the capability and how to grant it', async function () {
    const { mmproxy: port } = net().ports();
    const result = await runMmproxyAs(net().app, cli!.bin, holding(identity, []), ['-l', `${APP}:${port}`, ...TARGETS]);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /start_failed: cannot set IP_TRANSPARENT \(EPERM\).*needs CAP_NET_ADMIN/);
    assert.match(result.stderr, /AmbientCapabilities=CAP_NET_ADMIN/);
    assert.match(
      result.stderr,
      /setpriv --reuid=USER --regid=GROUP --clear-groups --inh-caps=\+net_admin --ambient-caps=\+net_admin mmproxy/,
    );
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
  });

  it(`below port 1024: a clear error without CAP_NET_BIND_SERVICE, and clients served with it`, async function () {
    const flags = ['-l', `${APP}:${PRIVILEGED_PORT}`, ...TARGETS];
    const refused = await runMmproxyAs(net().app, cli!.bin, holding(identity, ['CAP_NET_ADMIN']), flags);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(
      refused.stderr,
      new RegExp(
        `cannot listen on ${APP}:${PRIVILEGED_PORT}: bind: Permission denied: listening below port 1024 needs CAP_NET_BIND_SERVICE`,
      ),
    );

    const both = ['CAP_NET_ADMIN', 'CAP_NET_BIND_SERVICE'];
    const proxy = net().track(await startMmproxyAs(net().app, cli!.bin, holding(identity, both), flags, runtimeDir));
    assert.equal((await readCredentials(proxy.pid)).effective, capabilityMask(both));
    const { lb } = net().ports();
    await net().haproxy(lb, [{ address: APP, port: PRIVILEGED_PORT, sendProxy: 'v1' }]);
    await net().assertClientSeen(lb, 4);
    assert.deepEqual(await stopMmproxy(proxy), { code: 0, signal: null });
  });

  it('with /run/mmproxy not writable and no RuntimeDirectory: one warning line, and it serves anyway', async function () {
    const { mmproxy: port, lb } = net().ports();
    const proxy = net().track(
      await startMmproxyAs(
        net().app,
        cli!.bin,
        holding(identity, ['CAP_NET_ADMIN']),
        ['-l', `${APP}:${port}`, ...TARGETS],
        null,
      ),
    );
    const warnings = proxy.stderr.split('\n').filter((line) => /stats:/.test(line));
    assert.equal(warnings.length, 1, proxy.stderr);
    assert.match(
      warnings[0]!,
      new RegExp(
        `no stats socket \\(mmproxy top will not see this proxy\\): /run/mmproxy is not writable for uid ${identity.uid}`,
      ),
    );
    assert.match(warnings[0]!, /RuntimeDirectory=mmproxy/);
    await net().haproxy(lb, [{ address: APP, port, sendProxy: 'v2' }]);
    await net().assertClientSeen(lb, 4);
    assert.deepEqual(await stopMmproxy(proxy), { code: 0, signal: null });
  });
});
