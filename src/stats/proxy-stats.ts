/**
 * The proxy's stats endpoints in one call, for the run loop:
 *
 *   const stats = await startProxyStats(
 *     { statsSocket: options.statsSocket, metricsListen: options.metricsListen },
 *     statsSourceFor(plane, config),
 *     (message) => logger.log('warn', 'stats', message),
 *   );
 *   … on shutdown, after the data plane drained, before plane.close():
 *   await stats.close();
 *
 * The stats socket is on by default at /run/mmproxy/<pid>.sock
 * ($RUNTIME_DIRECTORY/<pid>.sock under a systemd RuntimeDirectory=). When that
 * default cannot be created (not root, read-only /run) the proxy runs on
 * without it and says so; a path or address the user asked for that fails
 * is an error, thrown with what to do.
 */
import { formatEndpoint } from '../base/net/endpoint.js';
import type { MetricsServer } from './metrics-server.js';
import { startStatsServer, type StatsServer } from './server.js';
import { defaultSocketDir, defaultSocketPath } from './socket-path.js';
import type { StatsSource } from './source.js';

export interface ProxyStatsOptions {
  /** null: the default path. */
  statsSocket: string | null;
  /** null: no metrics endpoint (off by default). */
  metricsListen: string | null;
}

export interface ProxyStats {
  /** Where the stats socket listens, or null when the default could not be created. */
  statsSocket: string | null;
  /** "host:port" the metrics endpoint is bound to, or null when off. */
  metricsAddress: string | null;
  close(): Promise<void>;
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Errors of a directory this user may not create or write in (not root, read-only /run). */
const NOT_WRITABLE = new Set(['EACCES', 'EPERM', 'EROFS']);

function defaultSocketWarning(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | null)?.code ?? '';
  const cause = NOT_WRITABLE.has(code)
    ? `${defaultSocketDir()} is not writable for uid ${process.getuid?.() ?? '?'} (${code})`
    : reason(error);
  return (
    `no stats socket (mmproxy top will not see this proxy): ${cause}; ` +
    'under systemd set RuntimeDirectory=mmproxy (as scripts/systemd/ does), or pass --stats-socket PATH'
  );
}

async function startSocket(
  requested: string | null,
  source: StatsSource,
  warn: (message: string) => void,
): Promise<StatsServer | null> {
  const path = requested ?? defaultSocketPath();
  try {
    return await startStatsServer({ path, source, createDirectory: requested === null, warn });
  } catch (error) {
    if (requested !== null) throw new Error(`--stats-socket ${requested}: ${reason(error)}`);
    warn(defaultSocketWarning(error));
    return null;
  }
}

export async function startProxyStats(
  options: ProxyStatsOptions,
  source: StatsSource,
  warn: (message: string) => void,
): Promise<ProxyStats> {
  const socket = await startSocket(options.statsSocket, source, warn);
  let metrics: MetricsServer | null = null;
  if (options.metricsListen !== null) {
    // Imported only when asked for: the endpoint is off by default, and it brings node:http.
    const { startMetricsServer } = await import('./metrics-server.js');
    try {
      metrics = await startMetricsServer({ listen: options.metricsListen, source, warn });
    } catch (error) {
      await socket?.close();
      throw new Error(`--metrics-listen ${options.metricsListen}: ${reason(error)}`);
    }
  }
  const bound = metrics?.address;
  return {
    statsSocket: socket?.path ?? null,
    metricsAddress: bound
      ? formatEndpoint({ family: bound.family === 'IPv6' ? 6 : 4, address: bound.address, port: bound.port })
      : null,
    async close() {
      await Promise.all([socket?.close(), metrics?.close()]);
    },
  };
}
