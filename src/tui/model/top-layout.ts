/**
 * How a frame is laid out: which flows, how many rows, how much room the
 * failures panel gets. Pure, so the app (for scrolling limits), the view and
 * `--once` agree on the same numbers.
 */
import type { FlowSnapshot, StatsSnapshot } from '../../stats/schema.js';
import { failureRows, failuresPanelHeight, type FailureRow } from '../components/FailuresPanel.js';
import { HEADER_LINES } from '../components/Header.js';
import { chooseColumns, type FlowColumn } from './flow-columns.js';
import { filterFlows, sortFlows } from './flow-view.js';
import type { TopKeysState } from '../use-top-keys.js';

/** Failure reasons shown in a full-size terminal; a short one gets one. */
const FAILURE_ROWS = 3;
const SHORT_TERMINAL_ROWS = 20;
const TABLE_HEADER_LINES = 1;
const FOOTER_LINES = 1;
/** Ink redraws by clearing the whole screen when a frame fills it; one spare line avoids the flicker. */
const SPARE_LINES = 1;

export interface TopLayout {
  columns: FlowColumn[];
  /** The rows to draw. */
  flows: FlowSnapshot[];
  matching: number;
  offset: number;
  maxScroll: number;
  /** Rows the table has room for (a page, for PgUp/PgDn). */
  tableRows: number;
  failures: FailureRow[];
  maxFailureRows: number;
  position: string;
  emptyText: string;
}

/**
 * `height` undefined means unbounded (`--once` prints every flow).
 * `bannerLines` is 1 when stale data is shown under a warning.
 */
export function topLayout(
  snapshot: StatsSnapshot,
  keys: TopKeysState,
  width: number,
  height: number | undefined,
  bannerLines: number,
): TopLayout {
  const matchingFlows = sortFlows(filterFlows(snapshot.flows, keys.filter), keys.sort);
  const failures = failureRows(snapshot.counters, snapshot.recent);
  const maxFailureRows = height === undefined ? failures.length : height < SHORT_TERMINAL_ROWS ? 1 : FAILURE_ROWS;
  const fixed =
    bannerLines +
    HEADER_LINES +
    TABLE_HEADER_LINES +
    FOOTER_LINES +
    SPARE_LINES +
    failuresPanelHeight(failures, snapshot.recent, maxFailureRows);
  const tableRows = height === undefined ? Math.max(1, matchingFlows.length) : Math.max(1, height - fixed);
  const maxScroll = Math.max(0, matchingFlows.length - tableRows);
  const offset = Math.min(keys.scroll, maxScroll);
  const flows = matchingFlows.slice(offset, offset + tableRows);
  const omitted = snapshot.flowsOmitted > 0 ? ` (+${snapshot.flowsOmitted} not sent)` : '';
  return {
    columns: chooseColumns(width, flows),
    flows,
    matching: matchingFlows.length,
    offset,
    maxScroll,
    tableRows,
    failures,
    maxFailureRows,
    position:
      flows.length === 0
        ? `0/${matchingFlows.length}`
        : `${offset + 1}-${offset + flows.length}/${matchingFlows.length}${omitted}`,
    emptyText:
      snapshot.flows.length === 0
        ? 'No live flows right now.'
        : `No flow matches "${keys.filter}" (Esc clears the filter).`,
  };
}
