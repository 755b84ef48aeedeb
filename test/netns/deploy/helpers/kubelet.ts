/**
 * What a kubelet does with one pod spec, played in namespaces: the container's securityContext turned into
 * setpriv's argv (user, bounding set, no ambient set for a non-root user, no_new_privs from
 * allowPrivilegeEscalation: false), $(VAR) arguments from envFrom, the image's ENTRYPOINT from the directory
 * tree, and probes run as the kubelet runs them (exec inside the container, httpGet from the node to the pod IP),
 * each up to its failureThreshold, periodSeconds apart.
 */
import type { Host } from '../../../../lab/index.js';
import type { Privileges } from '../../hardening/helpers/privilege/credentials.js';
import { type Container, expandArgs, type Probe } from '../../../unit/deploy/helpers/pod-spec.js';
import { entrypointArgv, type ImageTree } from './image-tree.js';

/** securityContext -> setpriv: runtimes give a container its added capabilities as its bounding set. */
export function containerPrivileges(container: Container): Privileges {
  const security = container.securityContext ?? {};
  const uid = security.runAsUser ?? 0;
  return {
    identity: { uid, gid: security.runAsGroup ?? uid },
    ambient: [],
    bounding: (security.capabilities?.add ?? []).map((capability) => `CAP_${capability}`),
    noNewPrivileges: security.allowPrivilegeEscalation === false,
  };
}

/**
 * readOnlyRootFilesystem: a mount namespace of its own where / is read-only, with an owned tmpfs (the
 * emptyDir) on the tree's RUNTIME_DIRECTORY when the container mounts a volume there; else argv unchanged.
 */
function inContainerMounts(tree: ImageTree, container: Container, argv: string[]): string[] {
  if (!container.securityContext?.readOnlyRootFilesystem) return argv;
  const { identity } = containerPrivileges(container);
  const emptyDir = (container.volumeMounts ?? []).some((mount) => mount.mountPath === tree.imageRunDir);
  const tmpfs = `mount -t tmpfs -o uid=${identity.uid},gid=${identity.gid},mode=0755,size=1m tmpfs "$0" && `;
  const script = `mount -o remount,bind,ro / && ${emptyDir ? tmpfs : ''}exec "$@"`;
  return ['unshare', '--mount', '--propagation', 'private', 'sh', '-c', script, tree.runDir, ...argv];
}

/** The container's command: the image's ENTRYPOINT with its args, $(VAR)s expanded from env. */
export function containerArgv(tree: ImageTree, container: Container, env: Record<string, string>): string[] {
  const argv = entrypointArgv(tree, containerPrivileges(container), expandArgs(container.args ?? [], env));
  return inContainerMounts(tree, container, argv);
}

export interface ProbeTarget {
  tree: ImageTree;
  container: Container;
  /** Where the container's processes run (the pod's namespace). */
  pod: Host;
  /** The container's main process: an exec probe enters its mount namespace, as `kubectl exec` would. */
  pid: number;
  /** Where the kubelet runs (the node's namespace) and the pod IP it probes. */
  node: Host;
  podIp: string;
}

/** One probe attempt: exit 0 (exec) or an HTTP status from 200 to 399 (httpGet). */
async function attempt(probe: Probe, target: ProbeTarget): Promise<{ ok: boolean; detail: string }> {
  if (probe.exec) {
    const [program, ...rest] = probe.exec.command;
    const image = entrypointArgv(target.tree, containerPrivileges(target.container), []);
    // Inside the container's mount namespace (its read-only root, its emptyDir), as `kubectl exec` runs;
    // an absolute path in the image is the tree's copy: the entrypoint's node and script.
    const argv = [
      'nsenter',
      `--mount=/proc/${target.pid}/ns/mnt`,
      ...image.slice(0, -2),
      ...[program!, ...rest].map((arg) => (arg.startsWith('/usr/local/') ? `${target.tree.root}${arg}` : arg)),
    ];
    const result = await target.pod.exec(argv, { timeoutMs: (probe.timeoutSeconds ?? 1) * 1000 + 20_000 });
    return { ok: result.code === 0, detail: `exit ${result.code}: ${result.stderr.slice(-500)}` };
  }
  if (probe.httpGet) {
    const port =
      target.container.ports?.find((p) => p.name === probe.httpGet!.port)?.containerPort ?? probe.httpGet.port;
    const url = `http://${target.podIp}:${port}${probe.httpGet.path}`;
    const script = `require('node:http').get(process.argv[1], (r) => { console.log(r.statusCode); r.resume(); })
      .on('error', (e) => { console.log('ERROR ' + e.message); });`;
    const result = await target.node.exec([process.execPath, '-e', script, url], { timeoutMs: 20_000 });
    const status = Number(result.stdout.trim());
    return { ok: status >= 200 && status < 400, detail: `GET ${url}: ${result.stdout.trim()}` };
  }
  throw new Error('a probe with neither exec nor httpGet');
}

/** The probe as the kubelet runs it until it succeeds or fails failureThreshold times in a row. */
export async function runProbe(probe: Probe, target: ProbeTarget): Promise<{ ok: boolean; attempts: string[] }> {
  const attempts: string[] = [];
  const tries = probe.failureThreshold ?? 3;
  for (let tried = 0; tried < tries; tried++) {
    const result = await attempt(probe, target);
    attempts.push(result.detail);
    if (result.ok) return { ok: true, attempts };
    if (tried + 1 < tries) await new Promise((resolve) => setTimeout(resolve, (probe.periodSeconds ?? 10) * 1000));
  }
  return { ok: false, attempts };
}

/** A single attempt, for a check that a probe fails now (no retries: the state is not expected to change). */
export async function probeOnce(probe: Probe, target: ProbeTarget): Promise<{ ok: boolean; detail: string }> {
  return attempt(probe, target);
}
