/** What the screen says when there is nothing to show yet: connecting, or why not. */
import { Box, Text } from 'ink';

import type { ProblemText } from '../model/top-frame.js';

export interface StatusScreenProps {
  problem: ProblemText | null;
  width: number;
}

export function StatusScreen({ problem, width }: StatusScreenProps) {
  return (
    <Box flexDirection="column" width={width} paddingX={1}>
      <Text bold color="cyan">
        mmproxy top
      </Text>
      {problem ? (
        <>
          <Text bold color="red">
            {problem.title}
          </Text>
          <Text>{problem.message}</Text>
          <Text dimColor>{problem.retry} · q quit</Text>
        </>
      ) : (
        <Text>Connecting to the proxy's stats socket…</Text>
      )}
    </Box>
  );
}
