/** Failures by reason, busiest first, with what each means and the loopback-routing hint. */
import { Box, Text } from 'ink';

import type { FailuresModel } from '../model/failures.js';

export function FailuresPanel({ rows, hidden, windowSeconds, loopbackHint }: FailuresModel) {
  if (rows.length === 0) {
    return <Text dimColor>No failures since the proxy started.</Text>;
  }
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate">
        Failures{' '}
        <Text dimColor>
          (last {windowSeconds}s / total){hidden > 0 ? ` +${hidden} more` : ''}
        </Text>
      </Text>
      {rows.map((row) => (
        <Text key={row.reason} wrap="truncate">
          <Text color={row.recent > 0 ? 'red' : undefined}>{row.reasonCell}</Text>
          {row.countsCell} <Text dimColor>{row.meaning}</Text>
        </Text>
      ))}
      {loopbackHint ? (
        <Text color="yellow" bold wrap="truncate">
          ⚠ {loopbackHint}
        </Text>
      ) : null}
    </Box>
  );
}
