/**
 * The container image's final stage done for real in a directory instead of a layer (this machine cannot pull
 * base images): the tarball `npm pack` makes (the build stage's last step) installed with `npm install -g`
 * into <root>/usr/local with no compiler on PATH, /run/mmproxy created for the image's USER, and the proxy run
 * from that tree as that user holding only the capabilities the image needs.
 */
import { readFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { chmod, chown, copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

import { fastPathFileCapabilities, parseDockerfile, stageSetcap } from '../../../unit/deploy/helpers/dockerfile.js';
import { DOCKERFILE_PATH } from '../../../unit/deploy/helpers/paths.js';
import { type Identity, type Privileges, setprivArgv } from '../../hardening/helpers/privilege/credentials.js';
import { installGlobally, packOnce, pathWithoutCompilers } from '../../package/helpers/packed.js';

const run = promisify(execFile);

const DOCKERFILE = DOCKERFILE_PATH;

/** The final stage's USER (numeric uid:gid, which the Dockerfile test requires). */
export function imageUser(): Identity {
  const stages = parseDockerfile(readFileSync(DOCKERFILE, 'utf8')).stages;
  const user =
    stages
      .at(-1)
      ?.instructions.filter((i) => i.keyword === 'USER')
      .at(-1)?.args ?? '';
  const [uid, gid = uid] = user.split(':').map(Number);
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) throw new Error(`USER ${user} in ${DOCKERFILE} is not numeric`);
  return { uid: uid!, gid: gid! };
}

/** Null when uid and gid are free here (as in a fresh image), else why the suite cannot play the image's user. */
export function imageUserClash(identity: Identity): string | null {
  const taken = (file: string, id: number) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .some((line) => Number(line.split(':')[2]) === id);
  if (taken('/etc/passwd', identity.uid)) return `uid ${identity.uid} (the image's USER) belongs to an account here`;
  if (taken('/etc/group', identity.gid)) return `gid ${identity.gid} (the image's USER) belongs to a group here`;
  return null;
}

/** The Dockerfile's `setcap CAPS PATH` and its ENTRYPOINT: what the proxy runs on. */
export function imageEntrypoint(): { fileCapabilities: string; node: string; argv: string[] } {
  const final = parseDockerfile(readFileSync(DOCKERFILE, 'utf8')).stages.at(-1)!;
  const setcap = stageSetcap(final);
  const entrypoint = final.instructions.filter((i) => i.keyword === 'ENTRYPOINT').at(-1);
  if (!setcap || !entrypoint) throw new Error(`${DOCKERFILE} has no setcap or no ENTRYPOINT`);
  return { fileCapabilities: setcap.capabilities, node: setcap.path, argv: JSON.parse(entrypoint.args) as string[] };
}

/** The Dockerfile's ENV RUNTIME_DIRECTORY. */
function imageRuntimeDirectory(): string {
  const final = parseDockerfile(readFileSync(DOCKERFILE, 'utf8')).stages.at(-1)!;
  const env = final.instructions.find((i) => i.keyword === 'ENV' && i.args.startsWith('RUNTIME_DIRECTORY='));
  if (!env) throw new Error(`${DOCKERFILE} sets no RUNTIME_DIRECTORY`);
  return env.args.slice('RUNTIME_DIRECTORY='.length);
}

export interface ImageTree {
  root: string;
  /** npm's global prefix in the tree: <root>/usr/local, as in the node image. */
  prefix: string;
  /** The image's RUNTIME_DIRECTORY in the tree: the stats socket's directory, owned by the image's user. */
  runDir: string;
  /** The same, as the image names it (the Dockerfile's ENV). */
  imageRunDir: string;
  installOutput: string;
  remove(): Promise<void>;
}

export async function buildImageTree(user: Identity): Promise<ImageTree> {
  const packed = await packOnce();
  const root = await mkdtemp(join(tmpdir(), 'mmproxy-image-'));
  // mkdtemp makes 0700; an image's / is 0755, so the image's user can reach /usr/local.
  await chmod(root, 0o755);
  const tools = await pathWithoutCompilers(join(root, 'build-tools'));
  const prefix = join(root, 'usr', 'local');
  const installed = await installGlobally(packed.tarball, prefix, tools);
  await rm(join(root, 'build-tools'), { recursive: true, force: true });
  // `install -d -o 10001 -g 10001 -m 0755 /run/mmproxy`
  // `cp /usr/local/bin/node /usr/local/lib/mmproxy/node && setcap cap_net_admin+ep …`
  const { node, fileCapabilities } = imageEntrypoint();
  await mkdir(dirname(join(root, node)), { recursive: true });
  await copyFile(process.execPath, join(root, node));
  await run('setcap', [fileCapabilities, join(root, node)]);
  const imageRunDir = imageRuntimeDirectory();
  const runDir = join(root, imageRunDir);
  await mkdir(runDir, { recursive: true });
  await chown(runDir, user.uid, user.gid);
  await chmod(runDir, 0o755);
  return {
    root,
    prefix,
    runDir,
    imageRunDir,
    installOutput: installed.output,
    remove: () => rm(root, { recursive: true, force: true }),
  };
}

/**
 * The node copy as a fast-path build makes it (the Dockerfile's `--build-arg PROXY_FILE_CAPS=…`), beside the
 * default one in the tree: argv running the ENTRYPOINT's script on it with ARGS under `privileges`.
 */
export async function fastPathEntrypointArgv(
  tree: ImageTree,
  privileges: Privileges,
  args: string[],
): Promise<string[]> {
  const capabilities = fastPathFileCapabilities(readFileSync(DOCKERFILE, 'utf8'));
  if (!capabilities) throw new Error(`${DOCKERFILE} names no --build-arg PROXY_FILE_CAPS= for the fast path`);
  const [node, script] = imageEntrypoint().argv;
  const fastNode = `${inTree(tree, node!)}-fast-path`;
  await copyFile(process.execPath, fastNode);
  await run('setcap', [capabilities, fastNode]);
  return [...environmentArgv(tree, privileges), fastNode, inTree(tree, script!), ...args];
}

/** The tree's path for an absolute path inside the image. */
function inTree(tree: ImageTree, path: string): string {
  return join(tree.root, path);
}

/** argv running the image's ENTRYPOINT (the capable node copy) with ARGS from the tree under `privileges`. */
export function entrypointArgv(tree: ImageTree, privileges: Privileges, args: string[]): string[] {
  const [node, script] = imageEntrypoint().argv;
  return [...environmentArgv(tree, privileges), inTree(tree, node!), inTree(tree, script!), ...args];
}

/**
 * setpriv to `privileges`, then the image's environment only: PATH to the tree's bin and node (the node image
 * has both in /usr/local/bin), RUNTIME_DIRECTORY from the Dockerfile's ENV.
 */
function environmentArgv(tree: ImageTree, privileges: Privileges): string[] {
  const path = [join(tree.prefix, 'bin'), dirname(process.execPath), '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
  return [...setprivArgv(privileges), 'env', '-i', `PATH=${path.join(':')}`, `RUNTIME_DIRECTORY=${tree.runDir}`];
}
