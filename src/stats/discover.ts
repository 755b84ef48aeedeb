/**
 * Finding the stats socket when the user did not name one: the only live
 * proxy under /run/mmproxy/ (or $RUNTIME_DIRECTORY, see socket-path.ts). Sockets named <pid>.sock whose process is gone
 * are stale and ignored.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

import { StatsClientError } from './client-errors.js';
import { defaultSocketDir } from './socket-path.js';

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, it is just not ours.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function looksLive(name: string): boolean {
  const pid = /^(\d+)\.sock$/.exec(name)?.[1];
  return pid === undefined || processExists(Number(pid));
}

export async function findProxySocket(dir: string = defaultSocketDir()): Promise<string> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') {
      throw new StatsClientError(
        'not_readable',
        `permission denied listing ${dir}: run as root, or pass --socket PATH`,
      );
    }
    throw new StatsClientError('not_running', `no mmproxy is running: ${dir} does not exist (or pass --socket PATH)`);
  }
  const live = names.filter((name) => name.endsWith('.sock') && looksLive(name)).sort();
  if (live.length === 0) {
    throw new StatsClientError(
      'not_running',
      `no mmproxy is running: no stats socket in ${dir} (or pass --socket PATH)`,
    );
  }
  if (live.length > 1) {
    throw new StatsClientError(
      'ambiguous',
      `${live.length} proxies are running; choose one with --socket: ${live.map((name) => join(dir, name)).join(', ')}`,
    );
  }
  return join(dir, live[0]!);
}
