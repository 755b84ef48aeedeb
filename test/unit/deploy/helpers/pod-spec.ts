/** The parts of a workload the deploy tests look at, typed: its pod template, containers, probes. */
import type { KubeObject } from './kustomize.js';

export interface Probe {
  exec?: { command: string[] };
  httpGet?: { path: string; port: string | number };
  periodSeconds?: number;
  timeoutSeconds?: number;
  failureThreshold?: number;
}

export interface Container {
  name: string;
  image: string;
  args?: string[];
  envFrom?: { configMapRef: { name: string } }[];
  ports?: { name: string; containerPort: number }[];
  securityContext?: {
    runAsUser?: number;
    runAsGroup?: number;
    runAsNonRoot?: boolean;
    privileged?: boolean;
    allowPrivilegeEscalation?: boolean;
    readOnlyRootFilesystem?: boolean;
    capabilities?: { drop?: string[]; add?: string[] };
  };
  startupProbe?: Probe;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  volumeMounts?: { name: string; mountPath: string }[];
}

export interface PodTemplate {
  metadata: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: {
    hostNetwork?: boolean;
    initContainers?: Container[];
    containers: Container[];
    volumes?: { name: string; emptyDir?: { medium?: string } }[];
  };
}

export function workload(objects: KubeObject[]): KubeObject & { spec: { template: PodTemplate } } {
  const found = objects.find((o) => o.kind === 'DaemonSet' || o.kind === 'Deployment');
  if (!found) throw new Error('no DaemonSet or Deployment');
  return found as KubeObject & { spec: { template: PodTemplate } };
}

export function container(template: PodTemplate, name: string, init = false): Container {
  const list = init ? template.spec.initContainers : template.spec.containers;
  const found = list?.find((c) => c.name === name);
  if (!found) throw new Error(`no ${init ? 'init ' : ''}container ${name}`);
  return found;
}

export function flags(objects: KubeObject[]): Record<string, string> {
  const map = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'mmproxy-flags');
  if (!map) throw new Error('no ConfigMap mmproxy-flags');
  return map['data'] as Record<string, string>;
}

/** $(NAME) in args replaced from the environment, as the kubelet does. */
export function expandArgs(args: string[], env: Record<string, string>): string[] {
  return args.map((arg) => arg.replace(/\$\((\w+)\)/g, (whole, name: string) => env[name] ?? whole));
}

/** "96Mi" -> bytes. */
export function quantityBytes(quantity: string): number {
  const match = /^(\d+)(Ki|Mi|Gi)?$/.exec(quantity);
  if (!match) throw new Error(`cannot read the quantity ${quantity}`);
  const unit = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30 }[match[2] ?? ''] ?? 1;
  return Number(match[1]) * unit;
}
