/** `mmproxy top --once`: one frame as plain text (no colours, no cursor codes) for scripts. */
import { renderToString } from 'ink';
import { stripVTControlCharacters } from 'node:util';

import type { StatsSnapshot } from '../stats/schema.js';
import { TopView } from './components/TopView.js';
import { topFrame } from './model/top-frame.js';
import { initialTopState, UNBOUNDED_ROWS } from './model/top-state.js';

/** `listener`: that listener's flows only (`--listener`, already checked against the snapshot); null: all. */
export function renderOnce(snapshot: StatsSnapshot, columns: number, listener: string | null = null): string {
  const state = initialTopState(
    { connection: 'live', snapshot, problem: null },
    { columns, rows: UNBOUNDED_ROWS },
    listener,
  );
  const frame = renderToString(<TopView frame={topFrame(state)} interactive={false} />, { columns });
  const lines = stripVTControlCharacters(frame)
    .split('\n')
    .map((line) => line.trimEnd());
  return `${lines.join('\n')}\n`;
}
