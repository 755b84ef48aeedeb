/**
 * The package as npm publishes it: `npm pack` of this checkout (its prepack script builds whatever is stale,
 * the prebuilt addon included), once per test process, shared by the package suites.
 */
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, symlink, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { packageRoot } from '../../../../src/base/package-info.js';

const run = promisify(execFile);

/** Generous: a stale addon is compiled (two cores, shared). */
const PACK_TIMEOUT_MS = 15 * 60_000;
const INSTALL_TIMEOUT_MS = 5 * 60_000;

export interface PackedFile {
  path: string;
  size: number;
}

export interface Packed {
  tarball: string;
  /** The tarball's size in bytes. */
  size: number;
  files: PackedFile[];
  directory: string;
}

let packing: Promise<Packed> | undefined;

export function packOnce(): Promise<Packed> {
  packing ??= pack();
  return packing;
}

async function pack(): Promise<Packed> {
  const directory = await mkdtemp(join(tmpdir(), 'mmproxy-pack-'));
  // Shared by the suites of this run: removed when the test process ends.
  process.once('exit', () => rmSync(directory, { recursive: true, force: true }));
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', directory], {
    cwd: packageRoot(),
    timeout: PACK_TIMEOUT_MS,
    maxBuffer: 16 * 1024 * 1024,
  });
  // prepack's own output goes to stderr; stdout is npm's JSON.
  const [result] = JSON.parse(stdout) as { filename: string; size: number; files: PackedFile[] }[];
  if (!result) throw new Error(`npm pack printed no result: ${stdout}`);
  return { tarball: join(directory, result.filename), size: result.size, files: result.files, directory };
}

let installing: Promise<Installed> | undefined;

/** The packed tarball installed once per test process into a prefix beside it, without compilers on PATH. */
export function installOnce(): Promise<Installed> {
  installing ??= packOnce().then(async (packed) => {
    const path = await pathWithoutCompilers(packed.directory);
    return installGlobally(packed.tarball, join(packed.directory, 'prefix'), path);
  });
  return installing;
}

/** The programs an install may use, and nothing else: no g++, make or python3 (nor cc, node-gyp's python). */
const INSTALL_PROGRAMS = ['node', 'npm', 'sh'];

/** A directory of links to node, npm and sh, to be the whole PATH of an install without a compiler. */
export async function pathWithoutCompilers(directory: string): Promise<string> {
  const bin = join(directory, 'bin');
  await mkdir(bin, { recursive: true });
  for (const program of INSTALL_PROGRAMS) {
    const { stdout } = await run('sh', ['-c', `command -v ${program}`]);
    await symlink(stdout.trim(), join(bin, program));
  }
  return bin;
}

export interface Installed {
  prefix: string;
  /** The installed package's directory. */
  root: string;
  elapsedMs: number;
  output: string;
}

/**
 * `npm install -g` of the tarball into prefix, as a user would, with PATH holding only path's programs.
 * --prefer-offline: tarballs and metadata come from npm's cache when there (the checkout's `npm ci` put every
 * tarball there), so the registry is asked only for what the cache lacks, by npm itself. --allow-scripts names
 * the tarball so that npm versions that hold install scripts back run the package's own (node-gyp-build) too,
 * as every other npm does.
 */
export async function installGlobally(tarball: string, prefix: string, path: string): Promise<Installed> {
  const started = Date.now();
  const args = ['install', '-g', '--prefix', prefix, '--prefer-offline', `--allow-scripts=${tarball}`];
  const { stdout, stderr } = await run('npm', [...args, '--no-audit', '--no-fund', '--foreground-scripts', tarball], {
    env: { ...process.env, PATH: path },
    timeout: INSTALL_TIMEOUT_MS,
    maxBuffer: 16 * 1024 * 1024,
  });
  return {
    prefix,
    root: join(prefix, 'lib', 'node_modules', 'mmproxy'),
    elapsedMs: Date.now() - started,
    output: `${stdout}${stderr}`,
  };
}
