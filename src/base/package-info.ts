/**
 * What this copy of mmproxy is: where its package lives, its version (from
 * package.json), the commit it was built from and the node running it. The
 * commit is recorded when the TypeScript is built or the package packed
 * (scripts/build-info.sh writes dist/src/build-info.json): an installed
 * package has no git checkout to ask, and a run never runs git.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface BuildInfo {
  version: string;
  /** The commit's short hash, with "-dirty" when built from uncommitted changes; null when not recorded. */
  commit: string | null;
  /** process.version, e.g. "v20.19.0". */
  node: string;
}

/** The package root: this file is dist/src/base/package-info.js once compiled. */
export function packageRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
}

/** dist/src/build-info.json, beside the compiled sources. */
export const BUILD_INFO_FILE = join('dist', 'src', 'build-info.json');

function readJson(path: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(readFileSync(path, 'utf8'));
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

let cached: BuildInfo | undefined;

export function buildInfo(): BuildInfo {
  if (cached) return cached;
  const root = packageRoot();
  const manifest = readJson(join(root, 'package.json'));
  const recorded = readJson(join(root, BUILD_INFO_FILE));
  cached = {
    version: typeof manifest?.['version'] === 'string' ? manifest['version'] : 'unknown',
    commit: typeof recorded?.['commit'] === 'string' && recorded['commit'] !== '' ? recorded['commit'] : null,
    node: process.version,
  };
  return cached;
}

/** `mmproxy --version`: "mmproxy 0.1.0 (commit 1a2b3c4d5e6f, node v20.19.0)". */
export function versionLine(info: BuildInfo = buildInfo()): string {
  return `mmproxy ${info.version} (commit ${info.commit ?? 'unknown'}, node ${info.node})`;
}

/** The package.json field `optionalDependencies[name]`, for messages that say which version to install. */
export function optionalDependencyVersion(name: string): string | null {
  const manifest = readJson(join(packageRoot(), 'package.json'));
  const optional = manifest?.['optionalDependencies'];
  if (typeof optional !== 'object' || optional === null) return null;
  const version = (optional as Record<string, unknown>)[name];
  return typeof version === 'string' ? version : null;
}

/** The machine this copy runs on, as reports from many hosts name it (the kernel's host name). */
export function hostName(): string {
  return hostname();
}
