/** What the screen says when there is nothing to show yet: connecting, or why not. */
import { Box, Text } from 'ink';

import { problemTitle, retryText } from '../model/problem-text.js';
import type { FeedProblem } from '../stats-feed.js';

export interface StatusScreenProps {
  problem: FeedProblem | null;
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
            {problemTitle(problem)}
          </Text>
          <Text>{problem.message}</Text>
          <Text dimColor>{retryText(problem)} · q quit</Text>
        </>
      ) : (
        <Text>Connecting to the proxy's stats socket…</Text>
      )}
    </Box>
  );
}

/** One line above live data that is no longer live. */
export function StaleBanner({ problem, sampledAt }: { problem: FeedProblem; sampledAt: string }) {
  return (
    <Text color="yellow" bold wrap="truncate">
      ⚠ {problemTitle(problem)} · {retryText(problem)} · data from {sampledAt.slice(11, 19)} UTC
    </Text>
  );
}
