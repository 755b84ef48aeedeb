/**
 * Where stats sockets live and how one is put in place safely.
 *
 * Default: /run/mmproxy/<pid>.sock — one per running proxy, so several
 * proxies on a host never collide and `mmproxy top` can find "the only
 * running one". Under systemd the unit's RuntimeDirectory= (handed over as
 * $RUNTIME_DIRECTORY, created for the service's user) takes its place: an
 * unprivileged proxy cannot create /run/mmproxy itself. The default directory is created 0755 when missing (others
 * may list it); the directory of a path given with --stats-socket must exist, so a typo fails instead of growing a
 * tree. Each socket is 0600, owned by the proxy's user, so only that user and root
 * can read the stats.
 */
import { createConnection } from 'node:net';
import { lstat, mkdir, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export const STATS_SOCKET_DIR = '/run/mmproxy';
export const STATS_DIR_MODE = 0o755;
export const STATS_SOCKET_MODE = 0o600;
/** sun_path is 108 bytes with the terminating NUL; Node silently cuts longer paths. */
const MAX_SOCKET_PATH_BYTES = 107;
/** The socket is first bound at <dir>/.s-XXXXXX/s (see server.ts): this much longer than the final path. */
const STAGING_EXTRA_BYTES = '/.s-XXXXXX/s'.length;

/** $RUNTIME_DIRECTORY's first entry (systemd lists several with colons), else /run/mmproxy. */
export function defaultSocketDir(env: NodeJS.ProcessEnv = process.env): string {
  const given = env['RUNTIME_DIRECTORY']?.split(':')[0];
  return given ? given : STATS_SOCKET_DIR;
}

export function defaultSocketPath(pid: number = process.pid, dir: string = defaultSocketDir()): string {
  return join(dir, `${pid}.sock`);
}

/** True when something accepts connections on the unix socket at `path`. */
function socketIsLive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createConnection({ path });
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

function errnoCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/** The directory a named socket goes in must be there already: nothing is created for it. */
async function requireDirectory(dir: string): Promise<void> {
  let stats;
  try {
    stats = await stat(dir);
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT') throw error;
    throw new Error(
      `the directory ${dir} does not exist; create it or choose another --stats-socket (only the default directory is created)`,
    );
  }
  if (!stats.isDirectory()) throw new Error(`${dir} is not a directory; choose another --stats-socket`);
}

/**
 * Creates the socket's directory when `createDirectory` (the default path's
 * only) or checks that it exists, and removes a stale socket left by a proxy
 * that died. Refuses (with what to do) when a live proxy owns the path or
 * when the path is something other than a socket: those are never deleted.
 */
export async function prepareSocketPath(path: string, createDirectory: boolean): Promise<void> {
  const longest = Buffer.byteLength(dirname(path)) + STAGING_EXTRA_BYTES;
  if (Math.max(longest, Buffer.byteLength(path)) > MAX_SOCKET_PATH_BYTES) {
    throw new Error(
      `${path} is too long for a unix socket (its directory may be at most ${MAX_SOCKET_PATH_BYTES - STAGING_EXTRA_BYTES} bytes); choose a shorter --stats-socket`,
    );
  }
  if (createDirectory) await mkdir(dirname(path), { recursive: true, mode: STATS_DIR_MODE });
  else await requireDirectory(dirname(path));
  let stats;
  try {
    stats = await lstat(path);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return;
    throw error;
  }
  if (!stats.isSocket()) {
    throw new Error(
      `${path} exists and is not a socket; refusing to replace it. Remove it or pass another --stats-socket.`,
    );
  }
  if (await socketIsLive(path)) {
    throw Object.assign(new Error(`another process is serving stats at ${path}; pass another --stats-socket path`), {
      code: 'EADDRINUSE',
    });
  }
  try {
    await unlink(path);
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT') throw error;
  }
}
