/** The interactive `mmproxy top`: the view model's frame, drawn. */
import { useApp } from 'ink';

import { TopView } from './components/TopView.js';
import type { StatsFeed } from './stats-feed.js';
import type { TerminalSize } from './terminal-size.js';
import { useTopView } from './use-top-view.js';

export interface TopAppProps {
  feed: StatsFeed;
  terminal: TerminalSize;
  /** The listener to show first (`--listener`); null or absent: every listener. */
  listener?: string | null;
}

export function TopApp({ feed, terminal, listener = null }: TopAppProps) {
  const { exit } = useApp();
  const frame = useTopView(feed, terminal, exit, listener);
  return <TopView frame={frame} interactive />;
}
