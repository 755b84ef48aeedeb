/**
 * A terminal size the test sets by hand: resize() and the view follows, as
 * it follows the real terminal's SIGWINCH.
 */
import type { ScreenSize } from '../../src/tui/model/top-state.js';
import type { TerminalSize } from '../../src/tui/terminal-size.js';

export interface FakeTerminal extends TerminalSize {
  resize(columns: number, rows: number): void;
}

export function fakeTerminal(columns = 80, rows = 24): FakeTerminal {
  let size: ScreenSize = { columns, rows };
  const listeners = new Set<() => void>();
  return {
    get: () => size,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    resize(nextColumns, nextRows) {
      size = { columns: nextColumns, rows: nextRows };
      for (const listener of listeners) listener();
    },
  };
}
