/** Failures by reason, busiest first, with what each means and the loopback-routing hint. */
import { Box, Text } from 'ink';

import { FAILURE_REASONS, type FailureReason } from '../../base/flows.js';
import type { CountersSnapshot, RecentActivity } from '../../stats/schema.js';
import { FAILURE_MEANINGS, LOOPBACK_HINT, loopbackRoutingSuspected } from '../model/failure-meanings.js';
import { fit } from '../model/format.js';

export interface FailureRow {
  reason: FailureReason;
  recent: number;
  total: number;
}

export function failureRows(counters: CountersSnapshot, recent: RecentActivity): FailureRow[] {
  return FAILURE_REASONS.map((reason) => ({
    reason,
    recent: recent.failures[reason] ?? 0,
    total: counters.failures[reason],
  }))
    .filter((row) => row.total > 0)
    .sort((a, b) => b.recent - a.recent || b.total - a.total);
}

/** Lines the panel takes for these rows when allowed at most `maxRows` reasons. */
export function failuresPanelHeight(rows: readonly FailureRow[], recent: RecentActivity, maxRows: number): number {
  if (rows.length === 0) return 1;
  return 1 + Math.min(rows.length, maxRows) + (loopbackRoutingSuspected(recent) ? 1 : 0);
}

export interface FailuresPanelProps {
  rows: readonly FailureRow[];
  recent: RecentActivity;
  badHeaders: Record<string, number>;
  maxRows: number;
}

export function FailuresPanel({ rows, recent, badHeaders, maxRows }: FailuresPanelProps) {
  if (rows.length === 0) {
    return <Text dimColor>No failures since the proxy started.</Text>;
  }
  const shown = rows.slice(0, maxRows);
  const hidden = rows.length - shown.length;
  const badCodes = Object.entries(badHeaders)
    .sort(([, a], [, b]) => b - a)
    .map(([code, count]) => `${code} ${count}`)
    .join(', ');
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate">
        Failures{' '}
        <Text dimColor>
          (last {recent.windowSeconds}s / total){hidden > 0 ? ` +${hidden} more` : ''}
        </Text>
      </Text>
      {shown.map((row) => (
        <Text key={row.reason} wrap="truncate">
          <Text color={row.recent > 0 ? 'red' : undefined}>{fit(row.reason, 20)}</Text>
          {fit(String(row.recent), 5, 'right')} /{fit(String(row.total), 6, 'right')}{' '}
          <Text dimColor>
            {FAILURE_MEANINGS[row.reason]}
            {row.reason === 'bad_header' && badCodes ? ` (${badCodes})` : ''}
          </Text>
        </Text>
      ))}
      {loopbackRoutingSuspected(recent) ? (
        <Text color="yellow" bold wrap="truncate">
          ⚠ {LOOPBACK_HINT} ({recent.connectTimeoutRun} connect timeouts in a row)
        </Text>
      ) : null}
    </Box>
  );
}
