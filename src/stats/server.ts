/**
 * The stats socket of a running proxy (protocol in ./protocol.ts).
 *
 * The socket is bound inside a private 0700 directory, chmod'ed 0600 and
 * then renamed into place, so it is never reachable with looser permissions,
 * whatever the umask. close() removes it only if the path still names our
 * socket (a newer proxy may have taken the path over).
 */
import { createServer, type Server, type Socket } from 'node:net';
import { chmod, mkdtemp, rename, rm, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';

import { StatsConnection } from './connection.js';
import { errorLine } from './protocol.js';
import { SnapshotBuilder } from './snapshot.js';
import { STATS_SOCKET_MODE, prepareSocketPath } from './socket-path.js';
import type { StatsSource } from './source.js';

export const DEFAULT_MAX_CLIENTS = 16;
const HISTORY_INTERVAL_MS = 1000;
const IDLE_TIMEOUT_MS = 10_000;
const SLOW_CLIENT_MS = 15_000;
/** How long a refused client's error line may take to leave before its socket is destroyed anyway. */
const REFUSED_LINGER_MS = 1000;
/** Clients asking within this window share one snapshot: flows() is read once, not once per client. */
const SHARED_SNAPSHOT_MS = 50;

export interface StatsServerOptions {
  path: string;
  source: StatsSource;
  maxClients?: number;
  /** How long a subscriber may leave a snapshot unread before it is dropped. */
  slowClientMs?: number;
  /** How long a client may stay connected without asking anything. */
  idleTimeoutMs?: number;
  /** Create the socket's directory if it is missing: for the default path only; a named path is taken as given. */
  createDirectory?: boolean;
  /** Errors of the listening socket once bound (accept failing with EMFILE, …): reported, never thrown. */
  warn?: (message: string) => void;
}

export interface StatsServer {
  readonly path: string;
  /** Clients connected now. */
  clientCount(): number;
  close(): Promise<void>;
}

function listen(server: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Binds `path` with mode 0600 from the first moment it exists. Returns the socket's inode. */
async function bindPrivately(server: Server, path: string): Promise<number> {
  const privateDir = await mkdtemp(join(dirname(path), '.s-'));
  const staging = join(privateDir, 's');
  try {
    await listen(server, staging);
    await chmod(staging, STATS_SOCKET_MODE);
    await rename(staging, path);
    return (await stat(path)).ino;
  } catch (error) {
    server.close();
    throw error;
  } finally {
    await rm(privateDir, { recursive: true, force: true });
  }
}

/**
 * Sends too_many_clients and closes the socket fully once the line is handed
 * to the kernel: a refused client is never read, so a request it sends cannot
 * hold the socket (and a shutdown) open waiting for it to finish.
 */
function refuse(socket: Socket, refused: Set<Socket>, maxClients: number): void {
  refused.add(socket);
  socket.on('close', () => refused.delete(socket));
  socket.on('error', () => socket.destroy());
  socket.end(errorLine('too_many_clients', `at most ${maxClients} stats clients at once; try again later`), () =>
    socket.destroy(),
  );
  // A client that does not read even the one line is not waited for.
  setTimeout(() => socket.destroy(), REFUSED_LINGER_MS).unref();
}

export async function startStatsServer(options: StatsServerOptions): Promise<StatsServer> {
  const { path, source } = options;
  const maxClients = options.maxClients ?? DEFAULT_MAX_CLIENTS;
  await prepareSocketPath(path, options.createDirectory ?? false);

  const builder = new SnapshotBuilder(source);
  let shared: { atMs: number; line: string } | undefined;
  const snapshotLine = (): string => {
    const now = Date.now();
    if (!shared || now - shared.atMs >= SHARED_SNAPSHOT_MS) {
      shared = { atMs: now, line: `${JSON.stringify(builder.build())}\n` };
    }
    return shared.line;
  };

  const connections = new Set<StatsConnection>();
  /** Clients turned away, until their socket is gone: shutdown closes them too. */
  const refused = new Set<Socket>();
  const server = createServer((socket: Socket) => {
    if (connections.size >= maxClients) {
      refuse(socket, refused, maxClients);
      return;
    }
    const connection = new StatsConnection(socket, snapshotLine, {
      idleTimeoutMs: options.idleTimeoutMs ?? IDLE_TIMEOUT_MS,
      slowClientMs: options.slowClientMs ?? SLOW_CLIENT_MS,
    });
    connections.add(connection);
    socket.on('close', () => connections.delete(connection));
  });

  const inode = await bindPrivately(server, path);
  server.on('error', (error) => options.warn?.(`stats socket: ${error.message}`));
  const history = setInterval(() => {
    try {
      builder.recordHistory();
    } catch {
      // The data plane is closing; the next request reports the error to its client.
    }
  }, HISTORY_INTERVAL_MS);
  history.unref();

  let closing: Promise<void> | undefined;
  return {
    path,
    clientCount: () => connections.size,
    close(): Promise<void> {
      closing ??= (async () => {
        clearInterval(history);
        for (const connection of connections) connection.close();
        for (const socket of refused) socket.destroy();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        const current = await stat(path).catch(() => undefined);
        if (current?.ino === inode) await unlink(path).catch(() => undefined);
      })();
      return closing;
    },
  };
}
