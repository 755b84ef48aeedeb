/**
 * `mmproxy top`: finds the proxy's stats socket, then either prints one
 * frame (--once) or runs the interactive view until q. Returns the exit code.
 */
import { render } from 'ink';

import { requestSnapshot } from '../stats/client.js';
import { StatsClientError } from '../stats/client-errors.js';
import { findProxySocket } from '../stats/discover.js';
import type { StatsSnapshot } from '../stats/schema.js';
import { TopApp } from './App.js';
import { unknownListener } from './model/listeners.js';
import { renderOnce } from './once.js';
import { createStatsFeed } from './stats-feed.js';
import { terminalSizeOf } from './terminal-size.js';

export interface TopOptions {
  /** The stats socket; when absent, the only running proxy's socket under /run/mmproxy/. */
  socket: string | undefined;
  once: boolean;
  intervalMs: number;
  /** `--listener NAME`: that listener's flows only; checked against the proxy's listeners before anything shows. */
  listener?: string | undefined;
}

/** Wide enough for every column when the output is not a terminal. */
const ONCE_COLUMNS_NOT_A_TERMINAL = 120;

/** One snapshot, and whether `--listener` names one of its listeners; null (after saying why) when not. */
async function firstSnapshot(
  socketPath: () => Promise<string>,
  listener: string | null,
): Promise<StatsSnapshot | null> {
  try {
    const snapshot = await requestSnapshot(await socketPath());
    const unknown = listener === null ? null : unknownListener(snapshot, listener);
    if (unknown === null) return snapshot;
    process.stderr.write(`mmproxy top: ${unknown}\n`);
  } catch (error) {
    if (!(error instanceof StatsClientError)) throw error;
    process.stderr.write(`mmproxy top: ${error.message}\n`);
  }
  return null;
}

export async function runTop(options: TopOptions): Promise<number> {
  const socketPath = async (): Promise<string> => options.socket ?? (await findProxySocket());
  const listener = options.listener ?? null;
  if (options.once) {
    const snapshot = await firstSnapshot(socketPath, listener);
    if (!snapshot) return 1;
    const columns = process.stdout.isTTY ? process.stdout.columns : ONCE_COLUMNS_NOT_A_TERMINAL;
    process.stdout.write(renderOnce(snapshot, columns, listener));
    return 0;
  }
  if (!process.stdin.isTTY || !process.stdout.isTTY) {
    process.stderr.write('mmproxy top: the live view needs a terminal; for scripts use: mmproxy top --once\n');
    return 1;
  }
  // Only a running proxy can say which listeners it has: without --listener the view waits for one instead.
  if (listener !== null && !(await firstSnapshot(socketPath, listener))) return 1;
  const feed = createStatsFeed({ socketPath, intervalMs: options.intervalMs });
  try {
    const app = render(<TopApp feed={feed} terminal={terminalSizeOf(process.stdout)} listener={listener} />);
    await app.waitUntilExit();
  } finally {
    feed.close();
  }
  return 0;
}
