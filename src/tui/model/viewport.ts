/**
 * How the screen's rows are shared out: the fixed lines (banner, header,
 * table title, footer, failures panel) first, the flow table gets the rest.
 * The reducer reads it to keep the scroll in bounds, the frame to draw.
 */
import type { FlowSnapshot } from '../../stats/schema.js';
import { failuresHeight, failuresModel, type FailuresModel } from './failures.js';
import { filterFlows } from './flow-view.js';
import { HEADER_LINES } from './header.js';
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
  /** The flows the filter lets through, in the feed's order. */
  readonly matching: readonly FlowSnapshot[];
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
  const matching = filterFlows(snapshot.flows, state.filter);
  const failures = failuresModel(snapshot.counters, snapshot.recent, failureRowsAllowed(rows));
  const fixed =
    (staleBanner(state.shown) === null ? 0 : 1) +
    HEADER_LINES +
    TABLE_HEADER_LINES +
    FOOTER_LINES +
    SPARE_LINES +
    failuresHeight(failures);
  const tableRows = rows === UNBOUNDED_ROWS ? Math.max(1, matching.length) : Math.max(1, rows - fixed);
  return { matching, tableRows, maxScroll: Math.max(0, matching.length - tableRows), failures };
}
