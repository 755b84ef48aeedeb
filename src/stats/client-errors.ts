/**
 * What can go wrong reading a proxy's stats, as codes a caller can switch on
 * and messages that say what to do next.
 */
export type StatsClientErrorCode =
  'not_running' | 'not_readable' | 'ambiguous' | 'protocol' | 'server' | 'closed' | 'timeout';

export class StatsClientError extends Error {
  constructor(
    readonly code: StatsClientErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'StatsClientError';
  }
}

/** Maps a socket error to the user's situation. */
export function fromSocketError(path: string, error: NodeJS.ErrnoException): StatsClientError {
  switch (error.code) {
    case 'ENOENT':
      return new StatsClientError(
        'not_running',
        `no mmproxy is running with a stats socket at ${path} (start the proxy, or pass --socket PATH)`,
      );
    case 'ECONNREFUSED':
      return new StatsClientError(
        'not_running',
        `the mmproxy that created ${path} is no longer running (start it again, or pass --socket PATH)`,
      );
    case 'EACCES':
    case 'EPERM':
      return new StatsClientError(
        'not_readable',
        `permission denied reading ${path}: run as the proxy's user or as root (sudo mmproxy top)`,
      );
    case 'ECONNRESET':
    case 'EPIPE':
      return new StatsClientError('closed', `the proxy closed the stats connection on ${path}`);
    default:
      return new StatsClientError('closed', `cannot read ${path}: ${error.message}`);
  }
}
