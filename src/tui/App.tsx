/** The interactive `mmproxy top`: the feed, the keys and the terminal size, handed to TopView. */
import { useApp } from 'ink';
import { useRef } from 'react';

import { bannerLines, TopView } from './components/TopView.js';
import type { StatsFeed } from './stats-feed.js';
import { topLayout } from './model/top-layout.js';
import { useStats } from './use-stats.js';
import { useTerminalSize } from './use-terminal-size.js';
import { useTopKeys } from './use-top-keys.js';

export interface TopAppProps {
  feed: StatsFeed;
  /** Overrides the terminal's size (tests). */
  size?: { columns: number; rows: number };
}

export function TopApp({ feed, size }: TopAppProps) {
  const { exit } = useApp();
  const terminal = useTerminalSize();
  const { columns, rows } = size ?? terminal;
  const view = useRef({ maxScroll: 0, pageRows: 1 });
  const keys = useTopKeys({ onQuit: exit, view });
  const state = useStats(feed, keys.paused);
  const layout = state.snapshot ? topLayout(state.snapshot, keys, columns, rows, bannerLines(state)) : null;
  view.current = { maxScroll: layout?.maxScroll ?? 0, pageRows: layout?.tableRows ?? 1 };
  return <TopView feed={state} keys={keys} layout={layout} width={columns} interactive />;
}
