/**
 * deploy/kubernetes/ composed as `kubectl kustomize` composes it, for the fields these overlays use (resources,
 * namespace, labels without selectors, strategic-merge patches of maps, images): kubectl is not in the Debian
 * archive, so the tests cannot count on it; where it is installed, a test checks both give the same objects.
 */
import { execFile } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';

import { packageRoot } from '../../../../src/base/package-info.js';

const run = promisify(execFile);

export type KubeObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
} & Record<string, unknown>;

export const KUBERNETES_DIR = join(packageRoot(), 'deploy', 'kubernetes');
export const MODES = ['daemonset', 'sidecar'] as const;
export type Mode = (typeof MODES)[number];

interface Kustomization {
  namespace?: string;
  resources?: string[];
  labels?: { pairs: Record<string, string> }[];
  patches?: { path: string }[];
  images?: { name: string; newName?: string; newTag?: string }[];
}

export function readYamlObjects(path: string): KubeObject[] {
  return parseAllDocuments(readFileSync(path, 'utf8')).map((document) => {
    if (document.errors.length) throw new Error(`${path}: ${document.errors[0]!.message}`);
    return document.toJS() as KubeObject;
  });
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Maps merge key by key; anything else (lists included) is replaced, as for the ConfigMap patches here. */
function merge(base: unknown, patch: unknown): unknown {
  if (!isMap(base) || !isMap(patch)) return patch;
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) merged[key] = merge(base[key], value);
  return merged;
}

function setImages(value: unknown, images: NonNullable<Kustomization['images']>): unknown {
  if (Array.isArray(value)) return value.map((item) => setImages(item, images));
  if (!isMap(value)) return value;
  const result: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    const image = key === 'image' && typeof child === 'string' ? images.find((i) => i.name === child) : undefined;
    result[key] = image ? `${image.newName ?? image.name}:${image.newTag ?? 'latest'}` : setImages(child, images);
  }
  return result;
}

/** The objects `kubectl kustomize DIR` prints, composed here. */
export function compose(directory: string): KubeObject[] {
  const [kustomization] = readYamlObjects(join(directory, 'kustomization.yaml')) as unknown as Kustomization[];
  if (!kustomization) throw new Error(`${directory}/kustomization.yaml is empty`);
  let objects = (kustomization.resources ?? []).flatMap((resource) => {
    const path = join(directory, resource);
    return statSync(path).isDirectory() ? compose(path) : readYamlObjects(path);
  });
  for (const { pairs } of kustomization.labels ?? [])
    objects = objects.map((o) => ({ ...o, metadata: { ...o.metadata, labels: { ...o.metadata.labels, ...pairs } } }));
  for (const { path } of kustomization.patches ?? [])
    for (const patch of readYamlObjects(join(directory, path))) {
      const index = objects.findIndex((o) => o.kind === patch.kind && o.metadata.name === patch.metadata.name);
      if (index < 0) throw new Error(`${path} patches ${patch.kind}/${patch.metadata.name}, which is not there`);
      objects[index] = merge(objects[index], patch) as KubeObject;
    }
  if (kustomization.namespace)
    objects = objects.map((o) => ({ ...o, metadata: { ...o.metadata, namespace: kustomization.namespace! } }));
  if (kustomization.images) objects = objects.map((o) => setImages(o, kustomization.images!) as KubeObject);
  return objects;
}

export function overlayDirectory(mode: Mode): string {
  return join(KUBERNETES_DIR, 'overlays', mode);
}

export function renderOverlay(mode: Mode): KubeObject[] {
  return compose(overlayDirectory(mode));
}

/** `kubectl kustomize` of the overlay, or null when kubectl is not installed. */
export async function kubectlKustomize(mode: Mode): Promise<KubeObject[] | null> {
  try {
    const { stdout } = await run('kubectl', ['kustomize', overlayDirectory(mode)], { cwd: dirname(KUBERNETES_DIR) });
    return parseAllDocuments(stdout).map((document) => document.toJS() as KubeObject);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}
