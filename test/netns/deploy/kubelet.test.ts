/*
 * A simulated kubelet for both modes of deploy/kubernetes: it reads the composed manifests, runs the init
 * container's command as root holding NET_ADMIN alone, then the proxy as the container's user with its
 * capabilities as the bounding set (the image's node copy gains NET_ADMIN by its file capability), runs the
 * startup and readiness probes as a kubelet would, and checks that the app sees each client's real address.
 * The image is the directory tree of image-filesystem.test.ts; readOnlyRootFilesystem is a mount namespace whose /
 * is read-only, with a tmpfs for the emptyDir at /run/mmproxy, which the exec probes enter.
 *
 * sidecar:   client ──▶ node: haproxy :80xx ──send-proxy-v2──▶ pod 192.0.2.2: mmproxy 0.0.0.0:8443 ──▶ app 127.0.0.1:8080
 *            (203.0.113.10)   kubelet: httpGet 192.0.2.2:9108        exec: doctor --from-running   (peer-service)
 *
 * daemonset: client ──▶ lb: haproxy :80xx ──send-proxy-v2──▶ node 192.0.2.2 (hostNetwork pod): mmproxy 0.0.0.0:8443
 *                                                            ──▶ the node's service 127.0.0.1:443; kubelet on the node
 */
import assert from 'node:assert/strict';

import { startPeerService } from '../../../lab/index.js';
import { stopMmproxy } from '../../../lab/mmproxy/mmproxy-process.js';
import { APP, ProxyTopology } from '../../../lab/mmproxy/topology.js';
import { HAPROXY } from '../../../lab/index.js';
import { capabilityMask, readCredentials } from '../hardening/helpers/privilege/credentials.js';
import { requireNetns, requireProgram, useSuiteNetwork } from '../support/index.js';
import { renderOverlay, type Mode } from '../../unit/deploy/helpers/kustomize.js';
import { container, flags, workload } from '../../unit/deploy/helpers/pod-spec.js';
import { buildImageTree, type ImageTree, imageUser, imageUserClash } from './helpers/image-tree.js';
import { containerArgv, containerPrivileges, probeOnce, type ProbeTarget, runProbe } from './helpers/kubelet.js';

/** The pod without loopback routing: the init container must set it up. */
class PodTopology extends ProxyTopology {
  override build(): Promise<void> {
    return super.build({ loopbackRouting: false });
  }
}

const portOf = (address: string): number => Number(/:(\d+)$/.exec(address)![1]);

let tree: ImageTree | undefined;
let treeSkip: string | null = null;

describe('a simulated kubelet runs deploy/kubernetes in namespaces', function () {
  this.timeout(20 * 60_000);

  before(async function () {
    requireNetns(this);
    treeSkip = imageUserClash(imageUser());
    if (!treeSkip) tree = await buildImageTree(imageUser());
  });
  after(async () => {
    await tree?.remove();
  });

  for (const mode of ['sidecar', 'daemonset'] as Mode[]) {
    describe(`${mode} mode`, function () {
      const net = useSuiteNetwork(
        () => new PodTopology(`kube${mode.slice(0, 3)}`),
        (context) => {
          requireNetns(context);
          requireProgram(context, HAPROXY, 'haproxy');
        },
      );
      const objects = renderOverlay(mode);
      const template = workload(objects).spec.template;
      const init = container(template, 'setup-routing', true);
      const proxy = container(template, 'mmproxy');
      const env = flags(objects);
      /** sidecar: the kubelet is on the node (the lb namespace here) and probes the pod IP; hostNetwork: itself. */
      const probeTarget = (pid: number): ProbeTarget => ({
        tree: tree!,
        pid,
        container: proxy,
        pod: net().app,
        node: template.spec.hostNetwork ? net().app : net().lb,
        podIp: APP,
      });

      before(async function () {
        if (treeSkip) {
          console.log(`      skipping: ${treeSkip}`);
          this.skip();
        }
        // The app container (sidecar) or the node's own service (daemonset), where the ConfigMap's targets say.
        await startPeerService(net().app, env['MMPROXY_TARGET4']!);
        await startPeerService(net().app, env['MMPROXY_TARGET6']!);
      });

      it('without the init container, the startup probe (the doctor) fails: the routing is missing', async () => {
        const started = net().track(net().app.spawn(containerArgv(tree!, proxy, env)));
        await started.waitForOutput(/listening on \S+ \(/, 30_000, 'stderr');
        const probe = await probeOnce(proxy.startupProbe!, probeTarget(started.pid));
        assert.equal(probe.ok, false, probe.detail);
        assert.deepEqual(await stopMmproxy(started), { code: 0, signal: null });
      });

      it("init, proxy, probes, then each client's real address at the app, v4 and v6", async () => {
        const initRun = await net().app.exec(containerArgv(tree!, init, env), { timeoutMs: 60_000 });
        assert.equal(initRun.code, 0, `${initRun.stdout}${initRun.stderr}`);

        const started = net().track(net().app.spawn(containerArgv(tree!, proxy, env)));
        await started.waitForOutput(/listening on \S+ \(/, 30_000, 'stderr');
        const privileges = containerPrivileges(proxy);
        const held = await readCredentials(started.pid);
        assert.deepEqual(held.uids, Array(4).fill(privileges.identity.uid));
        assert.equal(held.effective, capabilityMask(['CAP_NET_ADMIN']));
        assert.equal(held.bounding, capabilityMask(privileges.bounding));
        assert.equal(held.ambient, 0n);

        // readOnlyRootFilesystem: the container's user can write its emptyDir and nothing else.
        const write = (path: string) =>
          net().app.exec([
            'nsenter',
            `--mount=/proc/${started.pid}/ns/mnt`,
            'setpriv',
            `--reuid=${privileges.identity.uid}`,
            `--regid=${privileges.identity.gid}`,
            '--clear-groups',
            'touch',
            path,
          ]);
        assert.equal((await write(`${tree!.runDir}/probe-write`)).code, 0);
        assert.notEqual((await write('/tmp/mmproxy-kubelet-ro-check')).code, 0, 'the root filesystem is read-only');

        const startup = await runProbe(proxy.startupProbe!, probeTarget(started.pid));
        assert.equal(startup.ok, true, startup.attempts.join('\n'));
        const readiness = await runProbe(proxy.readinessProbe!, probeTarget(started.pid));
        assert.equal(readiness.ok, true, readiness.attempts.join('\n'));

        const { lb } = net().ports();
        await net().haproxy(lb, [{ address: APP, port: portOf(env['MMPROXY_LISTEN']!), sendProxy: 'v2' }]);
        await net().assertClientSeen(lb, 4);
        await net().assertClientSeen(lb, 6);

        assert.deepEqual(await stopMmproxy(started), { code: 0, signal: null });
        const gone = await probeOnce(proxy.readinessProbe!, probeTarget(started.pid));
        assert.equal(gone.ok, false, `readiness must fail with the proxy gone: ${gone.detail}`);
      });
    });
  }
});
