/*
 * The container image's final stage, performed for real (no image can be pulled here): the packed tarball
 * installed with `npm install -g` into a directory tree without a compiler, then run from that tree as the
 * image's USER in a bounding set of CAP_NET_ADMIN alone (docker --cap-drop=ALL --cap-add=NET_ADMIN), holding it
 * only through the ENTRYPOINT's node copy and its file capability, behind real HAProxy:
 *
 *   client ──▶ lb: haproxy :80xx ──send-proxy-v2──▶ app: setpriv --reuid=10001 … <tree>/usr/local/lib/mmproxy/node …
 *   (203.0.113.10)                                     192.0.2.2:84xx ──spoofed──▶ peer-service 127.0.0.1:7000
 *                                                      HEALTHCHECK: mmproxy doctor --from-running --json
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { stopMmproxy } from '../../../lab/mmproxy/mmproxy-process.js';
import { APP, TARGETS } from '../../../lab/mmproxy/topology.js';
import { capabilityMask, type Privileges, readCredentials } from '../hardening/helpers/privilege/credentials.js';
import { useProxyTopology } from '../proxy/helpers/use-proxy-topology.js';
import {
  buildImageTree,
  entrypointArgv,
  fastPathEntrypointArgv,
  type ImageTree,
  imageUser,
  imageUserClash,
} from './helpers/image-tree.js';

/** `--cap-drop=ALL --cap-add=NET_ADMIN`: the container's bounding set; a non-root user gets no ambient set. */
const CONTAINER_CAPABILITIES = ['CAP_NET_ADMIN'];

describe("the container image's filesystem, built in a directory and run as the image's user", function () {
  this.timeout(20 * 60_000);
  const net = useProxyTopology('image');
  const user = imageUser();
  const privileges: Privileges = {
    identity: user,
    ambient: [],
    bounding: CONTAINER_CAPABILITIES,
    // No no_new_privs: it would keep the file capability from taking effect.
    noNewPrivileges: false,
  };
  let tree: ImageTree | undefined;

  before(async function () {
    const clash = imageUserClash(user);
    if (clash) {
      console.log(`      skipping: ${clash}`);
      this.skip();
    }
    tree = await buildImageTree(user);
  });
  after(async () => {
    await tree?.remove();
  });

  it('installed without a compiler: the prebuilt addon, no build/', () => {
    const root = join(tree!.prefix, 'lib', 'node_modules', 'mmproxy');
    assert.ok(existsSync(join(root, 'prebuilds', 'linux-x64', 'mmproxy.napi.glibc.node')), tree!.installOutput);
    assert.equal(existsSync(join(root, 'build')), false, tree!.installOutput);
  });

  it("relays through HAProxy from the client's address, as uid 10001 holding CAP_NET_ADMIN by the node copy's file capability alone; the HEALTHCHECK passes, then fails once the proxy is gone", async () => {
    const { mmproxy: port, lb } = net().ports();
    const proxy = net().track(net().app.spawn(entrypointArgv(tree!, privileges, ['-l', `${APP}:${port}`, ...TARGETS])));
    await proxy.waitForOutput(/listening on \S+ \(/, 30_000, 'stderr');

    const held = await readCredentials(proxy.pid);
    assert.deepEqual(held.uids, [user.uid, user.uid, user.uid, user.uid]);
    assert.equal(held.effective, capabilityMask(CONTAINER_CAPABILITIES));
    assert.equal(held.ambient, 0n);
    assert.equal(held.bounding, capabilityMask(CONTAINER_CAPABILITIES));

    await net().haproxy(lb, [{ address: APP, port, sendProxy: 'v2' }]);
    await net().assertClientSeen(lb, 4);
    await net().assertClientSeen(lb, 6);

    const healthcheck = entrypointArgv(tree!, privileges, ['doctor', '--from-running', '--json']);
    const healthy = await net().app.exec(healthcheck, { timeoutMs: 30_000 });
    assert.equal(healthy.code, 0, `${healthy.stdout}${healthy.stderr}`);
    const report = JSON.parse(healthy.stdout) as { checks: { status: string }[] };
    assert.ok(report.checks.length > 0);

    assert.deepEqual(await stopMmproxy(proxy), { code: 0, signal: null });
    const gone = await net().app.exec(healthcheck, { timeoutMs: 30_000 });
    assert.notEqual(gone.code, 0, 'the HEALTHCHECK must fail with no proxy running');
  });

  it("--fast-path auto: off on the default build even with BPF in the bounding set; on with the fast-path build's file capabilities and BPF added", async () => {
    const withBpf: Privileges = { ...privileges, bounding: [...CONTAINER_CAPABILITIES, 'CAP_BPF'] };
    const fastPathLine = async (argv: string[]): Promise<string> => {
      const proxy = net().track(net().app.spawn(argv));
      const [line] = await proxy.waitForOutput(/fast path: .*/, 30_000, 'stderr');
      await proxy.waitForOutput(/listening on \S+ \(/, 30_000, 'stderr');
      assert.deepEqual(await stopMmproxy(proxy), { code: 0, signal: null });
      return line;
    };
    const flags = (port: number) => ['-l', `${APP}:${port}`, ...TARGETS, '--fast-path', 'auto'];
    // `--cap-add=BPF` alone: the process holds only what the node copy's file names, so no CAP_BPF.
    const plain = await fastPathLine(entrypointArgv(tree!, withBpf, flags(net().ports().mmproxy)));
    assert.match(plain, /fast path: off \(.*EPERM.*\); flows use the relay/);
    const fast = await fastPathLine(await fastPathEntrypointArgv(tree!, withBpf, flags(net().ports().mmproxy)));
    assert.match(fast, /fast path: on, experimental/);
  });
});
