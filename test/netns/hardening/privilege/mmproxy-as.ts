/** The real `mmproxy` CLI run inside a namespace under setpriv, as an unprivileged user would run it. */
import { constants } from 'node:fs';
import { access, chmod, chown, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execFileSync } from 'node:child_process';

import type { Host, HostProcess } from '../../kit/index.js';
import { MMPROXY_BIN } from '../../proxy/mmproxy-process.js';
import { type Identity, type Privileges, setprivArgv } from './credentials.js';

const START_TIMEOUT_MS = 10_000;
const FAILURE_TIMEOUT_MS = 15_000;

export function mmproxyArgvAs(privileges: Privileges, flags: string[]): string[] {
  return [...setprivArgv(privileges), process.execPath, MMPROXY_BIN, ...flags];
}

/** This process's environment with RUNTIME_DIRECTORY (systemd's RuntimeDirectory=) set to `dir`, or unset. */
function environment(runtimeDirectory: string | null): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env['RUNTIME_DIRECTORY'];
  return runtimeDirectory === null ? env : { ...env, RUNTIME_DIRECTORY: runtimeDirectory };
}

/** Starts it and resolves once it logs where it listens (rejects with its output if it exits first). */
export async function startMmproxyAs(host: Host, privileges: Privileges, flags: string[], runtimeDirectory: string | null): Promise<HostProcess> {
  const child = host.spawn(mmproxyArgvAs(privileges, flags), { env: environment(runtimeDirectory) });
  await child.waitForOutput(/listening on \S+ \(/, START_TIMEOUT_MS, 'stderr');
  return child;
}

/** Runs it expecting it to give up: its exit code and stderr. */
export async function runMmproxyAs(host: Host, privileges: Privileges, flags: string[]): Promise<{ code: number; stderr: string }> {
  const result = await host.exec(mmproxyArgvAs(privileges, flags), { timeoutMs: FAILURE_TIMEOUT_MS });
  return { code: result.code, stderr: result.stderr };
}

/** A directory the identity owns, as systemd creates a RuntimeDirectory= (mode 0755). */
export async function runtimeDirectoryFor(identity: Identity): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mmproxy-rundir-'));
  await chown(dir, identity.uid, identity.gid);
  await chmod(dir, 0o755);
  return dir;
}

/**
 * Null when the identity can read this checkout's CLI; else why not (a checkout under /root, mode 0700, is
 * the usual cause), for the suite to skip with.
 */
export async function unreadableCheckout(identity: Identity): Promise<string | null> {
  await access(MMPROXY_BIN, constants.R_OK);
  try {
    execFileSync('setpriv', [`--reuid=${identity.uid}`, `--regid=${identity.gid}`, '--clear-groups', 'test', '-r', MMPROXY_BIN], { stdio: 'ignore', timeout: 5_000 });
    return null;
  } catch {
    return `uid ${identity.uid} cannot read ${MMPROXY_BIN} (is a parent of ${dirname(MMPROXY_BIN)} mode 0700?); clone the project somewhere world-readable`;
  }
}
