/**
 * `mmproxy top`: finds the proxy's stats socket, then either prints one
 * frame (--once) or runs the interactive view until q. Returns the exit code.
 */
import { render } from 'ink';

import { requestSnapshot } from '../stats/client.js';
import { StatsClientError } from '../stats/client-errors.js';
import { findProxySocket } from '../stats/discover.js';
import { TopApp } from './App.js';
import { renderOnce } from './once.js';
import { createStatsFeed } from './stats-feed.js';
import { terminalSizeOf } from './terminal-size.js';

export interface TopOptions {
  /** The stats socket; when absent, the only running proxy's socket under /run/mmproxy/. */
  socket: string | undefined;
  once: boolean;
  intervalMs: number;
}

/** Wide enough for every column when the output is not a terminal. */
const ONCE_COLUMNS_NOT_A_TERMINAL = 120;

export async function runTop(options: TopOptions): Promise<number> {
  const socketPath = async (): Promise<string> => options.socket ?? (await findProxySocket());
  if (options.once) {
    try {
      const snapshot = await requestSnapshot(await socketPath());
      const columns = process.stdout.isTTY ? process.stdout.columns : ONCE_COLUMNS_NOT_A_TERMINAL;
      process.stdout.write(renderOnce(snapshot, columns));
      return 0;
    } catch (error) {
      if (!(error instanceof StatsClientError)) throw error;
      process.stderr.write(`mmproxy top: ${error.message}\n`);
      return 1;
    }
  }
  if (!process.stdin.isTTY || !process.stdout.isTTY) {
    process.stderr.write('mmproxy top: the live view needs a terminal; for scripts use: mmproxy top --once\n');
    return 1;
  }
  const feed = createStatsFeed({ socketPath, intervalMs: options.intervalMs });
  try {
    const app = render(<TopApp feed={feed} terminal={terminalSizeOf(process.stdout)} />);
    await app.waitUntilExit();
  } finally {
    feed.close();
  }
  return 0;
}
