/** `mmproxy top --once`: one frame as plain text (no colours, no cursor codes) for scripts. */
import { renderToString } from 'ink';
import { stripVTControlCharacters } from 'node:util';

import type { StatsSnapshot } from '../stats/schema.js';
import { TopView } from './components/TopView.js';
import type { FeedState } from './stats-feed.js';
import { topLayout } from './model/top-layout.js';
import { INITIAL_KEYS } from './use-top-keys.js';

export function renderOnce(snapshot: StatsSnapshot, columns: number): string {
  const feed: FeedState = { connection: 'live', snapshot, problem: null };
  const layout = topLayout(snapshot, INITIAL_KEYS, columns, undefined, 0);
  const frame = renderToString(
    <TopView feed={feed} keys={INITIAL_KEYS} layout={layout} width={columns} interactive={false} />,
    { columns },
  );
  const lines = stripVTControlCharacters(frame)
    .split('\n')
    .map((line) => line.trimEnd());
  return `${lines.join('\n')}\n`;
}
