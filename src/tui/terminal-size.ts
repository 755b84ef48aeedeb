/**
 * The terminal's size as a source, plain TypeScript like the stats feed: the
 * size now, and a call after every resize. 80×24 when stdout is not a terminal.
 */
import type { ScreenSize } from './model/top-state.js';

export interface TerminalSize {
  get(): ScreenSize;
  /** Calls `listener` after every resize; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void;
}

const FALLBACK_SIZE: ScreenSize = { columns: 80, rows: 24 };

export function terminalSizeOf(stdout: NodeJS.WriteStream): TerminalSize {
  return {
    get: () => ({ columns: stdout.columns || FALLBACK_SIZE.columns, rows: stdout.rows || FALLBACK_SIZE.rows }),
    subscribe(listener) {
      stdout.on('resize', listener);
      return () => {
        stdout.off('resize', listener);
      };
    },
  };
}
