/**
 * How the screen's rows are shared out: the fixed lines (banner, header,
 * table title, footer, failures panel) first, the flow table gets the rest.
 * The reducer reads it to keep the scroll in bounds, the frame to draw.
 */
import type { FlowSnapshot, ListenerSnapshot } from '../../stats/schema.js';
import { failuresHeight, failuresModel, type FailuresModel } from './failures.js';
import { filterFlows } from './flow-view.js';
import { HEADER_LINES } from './header.js';
import { flowsOfListener, shownGroups } from './listeners.js';
import { staleBanner } from './problem-text.js';
import { UNBOUNDED_ROWS, type TopState } from './top-state.js';

/** Failure reasons shown in a full-size terminal; a short one gets one. */
const FAILURE_ROWS = 3;
const SHORT_TERMINAL_ROWS = 20;
const TABLE_HEADER_LINES = 1;
const FOOTER_LINES = 1;
/** Ink redraws by clearing the whole screen when a frame fills it; one spare line avoids the flicker. */
export const SPARE_LINES = 1;

export interface Viewport {
  /** The flows the filter and the picked listener let through, in the feed's order. */
  readonly matching: readonly FlowSnapshot[];
  /** The listeners with a line above their flows; none when there is one listener. */
  readonly groups: readonly ListenerSnapshot[];
  /** Rows the table has room for: a page, for PgUp/PgDn. */
  readonly tableRows: number;
  /** The largest first row that still fills the table. */
  readonly maxScroll: number;
  readonly failures: FailuresModel;
}

function failureRowsAllowed(rows: number): number {
  if (rows === UNBOUNDED_ROWS) return UNBOUNDED_ROWS;
  return rows < SHORT_TERMINAL_ROWS ? 1 : FAILURE_ROWS;
}

/** Null until there is a snapshot to lay out. */
export function viewport(state: TopState): Viewport | null {
  const { snapshot } = state.shown;
  if (!snapshot) return null;
  const { rows } = state.size;
  const matching = filterFlows(flowsOfListener(snapshot.flows, state.listener), state.filter);
  const groups = shownGroups(snapshot, state.listener, state.filter.trim() !== '', matching);
  const lines = matching.length + groups.length;
  const failures = failuresModel(snapshot.counters, snapshot.recent, failureRowsAllowed(rows));
  const fixed =
    (staleBanner(state.shown) === null ? 0 : 1) +
    HEADER_LINES +
    TABLE_HEADER_LINES +
    FOOTER_LINES +
    SPARE_LINES +
    failuresHeight(failures);
  const tableRows = rows === UNBOUNDED_ROWS ? Math.max(1, lines) : Math.max(1, rows - fixed);
  return { matching, groups, tableRows, maxScroll: Math.max(0, lines - tableRows), failures };
}
