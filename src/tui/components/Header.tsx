/** The top lines: what the proxy is, how many flows, throughput each way with a sparkline. */
import { Box, Text } from 'ink';

import type { HeaderModel, ThroughputLine } from '../model/header.js';

function Throughput({ label, rate, total, sparkline }: ThroughputLine) {
  return (
    <Text wrap="truncate">
      {label} <Text bold>{rate}</Text> <Text dimColor>{total}</Text> <Text color="cyan">{sparkline}</Text>
    </Text>
  );
}

export function Header({
  proxy,
  paused,
  active,
  accepted,
  established,
  failed,
  datagrams,
  toTarget,
  toClient,
}: HeaderModel) {
  return (
    <Box flexDirection="column">
      <Text wrap="truncate">
        <Text bold color="cyan">
          mmproxy top
        </Text>{' '}
        {proxy}
        {paused ? <Text inverse> PAUSED </Text> : ''}
      </Text>
      <Text wrap="truncate">
        flows <Text bold>{active}</Text> active · {accepted} accepted · {established} established ·{' '}
        {failed > 0 ? <Text color="red">{failed} failed</Text> : '0 failed'}
        {datagrams ? ` · ${datagrams}` : ''}
      </Text>
      <Throughput {...toTarget} />
      <Throughput {...toClient} />
    </Box>
  );
}
