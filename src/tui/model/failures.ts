/**
 * The failures panel's content: reasons that happened, busiest first, each
 * with its counts and meaning, cut to the rows the screen can spare, and the
 * loopback-routing hint when the pattern calls for it.
 */
import { FAILURE_REASONS, type FailureReason } from '../../base/flows.js';
import type { CountersSnapshot, RecentActivity } from '../../stats/schema.js';
import { FAILURE_MEANINGS, LOOPBACK_HINT, loopbackRoutingSuspected } from './failure-meanings.js';
import { fit } from './format.js';

/** The reason, then "recent / total", so counts line up down the panel. */
const REASON_WIDTH = 20;
const RECENT_WIDTH = 5;
const TOTAL_WIDTH = 6;

export interface FailureRow {
  readonly reason: FailureReason;
  readonly recent: number;
  readonly total: number;
  /** What the reason means, with the bad-header codes seen for bad_header. */
  readonly meaning: string;
  /** The reason and the counts as the panel prints them, in columns. */
  readonly reasonCell: string;
  readonly countsCell: string;
}

export interface FailuresModel {
  /** Empty when nothing ever failed. */
  readonly rows: readonly FailureRow[];
  /** Reasons that failed but did not fit. */
  readonly hidden: number;
  readonly windowSeconds: number;
  /** The full hint line, or null when connects are not timing out in a run. */
  readonly loopbackHint: string | null;
}

function badHeaderCodes(badHeaders: Record<string, number>): string {
  return Object.entries(badHeaders)
    .sort(([, a], [, b]) => b - a)
    .map(([code, count]) => `${code} ${count}`)
    .join(', ');
}

/** `maxRows` reasons at most (Infinity: all of them). */
export function failuresModel(counters: CountersSnapshot, recent: RecentActivity, maxRows: number): FailuresModel {
  const codes = badHeaderCodes(counters.badHeaders);
  const rows = FAILURE_REASONS.map((reason) => ({
    reason,
    recent: recent.failures[reason] ?? 0,
    total: counters.failures[reason],
    meaning: FAILURE_MEANINGS[reason] + (reason === 'bad_header' && codes ? ` (${codes})` : ''),
  }))
    .filter((row) => row.total > 0)
    .sort((a, b) => b.recent - a.recent || b.total - a.total);
  const shown = rows.slice(0, maxRows).map((row) => ({
    ...row,
    reasonCell: fit(row.reason, REASON_WIDTH),
    countsCell: `${fit(String(row.recent), RECENT_WIDTH, 'right')} /${fit(String(row.total), TOTAL_WIDTH, 'right')}`,
  }));
  return {
    rows: shown,
    hidden: rows.length - shown.length,
    windowSeconds: recent.windowSeconds,
    loopbackHint: loopbackRoutingSuspected(recent)
      ? `${LOOPBACK_HINT} (${recent.connectTimeoutRun} connect timeouts in a row)`
      : null,
  };
}

/** Lines the panel takes: "no failures", or a title, the rows and the hint. */
export function failuresHeight(model: FailuresModel): number {
  if (model.rows.length === 0) return 1;
  return 1 + model.rows.length + (model.loopbackHint ? 1 : 0);
}
