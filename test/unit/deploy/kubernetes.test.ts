/**
 * deploy/kubernetes/: each overlay composed (helpers/kustomize.ts), every object validated against the
 * Kubernetes API schemas that kubernetes-models carries (offline), and the least-privilege, probe, metrics and
 * resource rules of both modes checked field by field (the schemas accept unknown fields, so a misspelt
 * securityContext field would pass them; these assertions would not).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';

import { parseDockerfile } from './helpers/dockerfile.js';
import { DOCKERFILE_PATH } from './helpers/paths.js';
import { type KubeObject, kubectlKustomize, MODES, renderOverlay } from './helpers/kustomize.js';
import { container, expandArgs, flags, quantityBytes, workload } from './helpers/pod-spec.js';

const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
  'apps/v1/DaemonSet': DaemonSet,
  'apps/v1/Deployment': Deployment,
};

function validate(object: KubeObject): void {
  const Model = MODELS[`${object.apiVersion}/${object.kind}`];
  if (!Model) throw new Error(`no schema here for ${object.apiVersion} ${object.kind}: add its model`);
  new Model(object as never).validate();
}

/** README, Speed: the proxy's RSS when fresh (59.3 MiB), the floor of any memory request. */
const FRESH_RSS_BYTES = 59.3 * 2 ** 20;

const finalStage = parseDockerfile(readFileSync(DOCKERFILE_PATH, 'utf8')).stages.at(-1)!;
const IMAGE_ENTRYPOINT = JSON.parse(finalStage.instructions.find((i) => i.keyword === 'ENTRYPOINT')!.args) as string[];
const IMAGE_RUN_DIR = /^RUNTIME_DIRECTORY=(\S+)$/.exec(
  finalStage.instructions.find((i) => i.keyword === 'ENV' && i.args.startsWith('RUNTIME_DIRECTORY='))!.args,
)![1]!;
const IMAGE_UID = Number(finalStage.instructions.find((i) => i.keyword === 'USER')!.args.split(':')[0]);

describe('deploy/kubernetes: the schema check validates', () => {
  it('rejects an object the API would reject (capabilities.add not a list)', () => {
    const broken = structuredClone(workload(renderOverlay('sidecar')));
    broken.spec.template.spec.containers[0]!.securityContext = { capabilities: { add: 'NET_ADMIN' as never } };
    assert.throws(() => validate(broken), /capabilities\/add must be array/);
  });
});

for (const mode of MODES) {
  describe(`deploy/kubernetes/overlays/${mode}`, () => {
    const objects = renderOverlay(mode);
    const { spec } = workload(objects);
    const template = spec.template;
    const init = container(template, 'setup-routing', true);
    const proxy = container(template, 'mmproxy');
    const env = flags(objects);

    it('every object is valid against the Kubernetes API schemas (kubernetes-models)', () => {
      assert.deepEqual(
        objects.map((o) => o.kind),
        mode === 'daemonset'
          ? ['ServiceAccount', 'ConfigMap', 'DaemonSet']
          : ['ServiceAccount', 'ConfigMap', 'Deployment', 'Service'],
      );
      for (const object of objects) validate(object);
    });

    it('composes as `kubectl kustomize` does, where kubectl is installed', async function () {
      const kubectl = await kubectlKustomize(mode);
      if (!kubectl) {
        console.log('      skipping: kubectl is not installed');
        this.skip();
      }
      const byName = (list: KubeObject[]) => Object.fromEntries(list.map((o) => [`${o.kind}/${o.metadata.name}`, o]));
      assert.deepEqual(byName(objects), byName(kubectl));
    });

    it(mode === 'daemonset' ? 'runs on the host network' : "runs in the app's pod, not on the host network", () => {
      assert.equal(template.spec.hostNetwork ?? false, mode === 'daemonset');
      if (mode === 'sidecar') assert.ok(container(template, 'app'));
    });

    it("the init container runs `mmproxy setup-routing` with the proxy's own flags, as root with NET_ADMIN alone, never privileged", () => {
      const args = expandArgs(init.args ?? [], env);
      assert.equal(args[0], 'setup-routing');
      const proxyArgs = expandArgs(proxy.args ?? [], env);
      for (const flag of ['-l', '-4', '-6'])
        assert.equal(args[args.indexOf(flag) + 1], proxyArgs[proxyArgs.indexOf(flag) + 1], flag);
      assert.equal(init.image, proxy.image);
      assert.deepEqual(init.envFrom, proxy.envFrom);
      const security = init.securityContext!;
      assert.equal(security.runAsUser, 0);
      assert.notEqual(security.privileged, true);
      assert.equal(security.allowPrivilegeEscalation, false);
      assert.deepEqual(security.capabilities, { drop: ['ALL'], add: ['NET_ADMIN'] });
    });

    it('the proxy runs as the image user, non-root, read-only root, dropping all but NET_ADMIN (NET_BIND_SERVICE only below port 1024)', () => {
      const security = proxy.securityContext!;
      assert.equal(security.runAsNonRoot, true);
      assert.equal(security.runAsUser, IMAGE_UID);
      assert.equal(security.readOnlyRootFilesystem, true);
      assert.notEqual(security.privileged, true);
      // no_new_privs would keep the image's node copy from gaining cap_net_admin (deploy/container/Dockerfile).
      assert.notEqual(security.allowPrivilegeEscalation, false);
      const listenPort = Number(/:(\d+)$/.exec(env['MMPROXY_LISTEN']!)![1]);
      const expected = listenPort < 1024 ? ['NET_ADMIN', 'NET_BIND_SERVICE'] : ['NET_ADMIN'];
      assert.deepEqual(security.capabilities, { drop: ['ALL'], add: expected });
      for (const other of template.spec.containers.filter((c) => c.name !== 'mmproxy'))
        assert.deepEqual(other.securityContext?.capabilities, { drop: ['ALL'] }, other.name);
    });

    it("the stats socket directory is writable: an in-memory emptyDir at the image's RUNTIME_DIRECTORY", () => {
      const mount = proxy.volumeMounts?.find((m) => m.mountPath === IMAGE_RUN_DIR);
      assert.ok(mount, `a volume at ${IMAGE_RUN_DIR}`);
      assert.deepEqual(template.spec.volumes?.find((v) => v.name === mount.name)?.emptyDir?.medium, 'Memory');
    });

    it("startup probe: the image's doctor --from-running --json; readiness /readyz and liveness /healthz on the --metrics-listen port", () => {
      assert.deepEqual(proxy.startupProbe?.exec?.command, [...IMAGE_ENTRYPOINT, 'doctor', '--from-running', '--json']);
      const metricsPort = Number(/:(\d+)$/.exec(env['MMPROXY_METRICS_LISTEN']!)![1]);
      const args = expandArgs(proxy.args ?? [], env);
      assert.equal(args[args.indexOf('--metrics-listen') + 1], env['MMPROXY_METRICS_LISTEN']);
      assert.deepEqual(proxy.readinessProbe?.httpGet, { path: '/readyz', port: 'metrics' });
      assert.deepEqual(proxy.livenessProbe?.httpGet, { path: '/healthz', port: 'metrics' });
      assert.equal(proxy.ports?.find((p) => p.name === 'metrics')?.containerPort, metricsPort);
      assert.deepEqual(template.metadata.annotations, {
        'prometheus.io/scrape': 'true',
        'prometheus.io/port': String(metricsPort),
        'prometheus.io/path': '/metrics',
      });
    });

    it("requests at least the benchmark's fresh RSS, and a limit with room for the probe's doctor beside it", () => {
      const request = quantityBytes(proxy.resources!.requests!['memory']!);
      const limit = quantityBytes(proxy.resources!.limits!['memory']!);
      assert.ok(request >= FRESH_RSS_BYTES, `${request} >= ${FRESH_RSS_BYTES}`);
      assert.ok(limit >= request + 64 * 2 ** 20, 'limit leaves 64 MiB for the doctor (measured peak)');
      assert.equal(proxy.resources!.limits!['cpu'], undefined, 'no CPU limit');
    });
  });
}
