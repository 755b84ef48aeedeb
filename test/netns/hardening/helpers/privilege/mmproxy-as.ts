/** The real `mmproxy` CLI run inside a namespace under setpriv, as an unprivileged user would run it. */
import { chmod, chown, cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execFileSync } from 'node:child_process';

import type { Host, HostProcess } from '../../../../../lab/index.js';
import { MMPROXY_BIN } from '../../../../../lab/mmproxy/mmproxy-process.js';
import { type Identity, type Privileges, setprivArgv } from './credentials.js';

const START_TIMEOUT_MS = 10_000;
const FAILURE_TIMEOUT_MS = 15_000;

export function mmproxyArgvAs(bin: string, privileges: Privileges, flags: string[]): string[] {
  return [...setprivArgv(privileges), process.execPath, bin, ...flags];
}

/** This process's environment with RUNTIME_DIRECTORY (systemd's RuntimeDirectory=) set to `dir`, or unset. */
function environment(runtimeDirectory: string | null): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env['RUNTIME_DIRECTORY'];
  return runtimeDirectory === null ? env : { ...env, RUNTIME_DIRECTORY: runtimeDirectory };
}

/** Starts it and resolves once it logs where it listens (rejects with its output if it exits first). */
export async function startMmproxyAs(
  host: Host,
  bin: string,
  privileges: Privileges,
  flags: string[],
  runtimeDirectory: string | null,
): Promise<HostProcess> {
  const child = host.spawn(mmproxyArgvAs(bin, privileges, flags), { env: environment(runtimeDirectory) });
  await child.waitForOutput(/listening on \S+ \(/, START_TIMEOUT_MS, 'stderr');
  return child;
}

/** Runs it expecting it to give up: its exit code and stderr. */
export async function runMmproxyAs(
  host: Host,
  bin: string,
  privileges: Privileges,
  flags: string[],
): Promise<{ code: number; stderr: string }> {
  const result = await host.exec(mmproxyArgvAs(bin, privileges, flags), { timeoutMs: FAILURE_TIMEOUT_MS });
  return { code: result.code, stderr: result.stderr };
}

/** A directory the identity owns, as systemd creates a RuntimeDirectory= (mode 0755). */
export async function runtimeDirectoryFor(identity: Identity): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mmproxy-rundir-'));
  await chown(dir, identity.uid, identity.gid);
  await chmod(dir, 0o755);
  return dir;
}

function canRead(identity: Identity, path: string): boolean {
  try {
    execFileSync(
      'setpriv',
      [`--reuid=${identity.uid}`, `--regid=${identity.gid}`, '--clear-groups', 'test', '-r', path],
      { stdio: 'ignore', timeout: 5_000 },
    );
    return true;
  } catch {
    return false;
  }
}

/** The CLI's entry point as `identity` can run it, and how to remove it once done. */
export interface RunnableCli {
  bin: string;
  remove(): Promise<void>;
}

/** What the CLI loads at run time, relative to the checkout. */
const CLI_PARTS = ['package.json', 'bin', 'dist', 'node_modules', 'build/Release/mmproxy_native.node'];

/**
 * This checkout's CLI when `identity` can read it; else (a clone under /root, mode 0700, is the usual cause)
 * a world-readable copy of what the CLI loads, so the suites run wherever CI cloned the project.
 */
export async function cliRunnableBy(identity: Identity): Promise<RunnableCli> {
  if (canRead(identity, MMPROXY_BIN)) return { bin: MMPROXY_BIN, remove: async () => {} };
  const checkout = dirname(dirname(MMPROXY_BIN));
  const copy = await mkdtemp(join(tmpdir(), 'mmproxy-cli-'));
  const remove = (): Promise<void> => rm(copy, { recursive: true, force: true });
  await chmod(copy, 0o755);
  for (const part of CLI_PARTS) await cp(join(checkout, part), join(copy, part), { recursive: true });
  const bin = join(copy, 'bin', 'mmproxy.js');
  if (!canRead(identity, bin)) {
    await remove();
    throw new Error(
      `uid ${identity.uid} can read neither ${MMPROXY_BIN} nor its copy ${bin}: check the checkout's file modes`,
    );
  }
  return { bin, remove };
}
