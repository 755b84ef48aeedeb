/** The top lines: what the proxy is, how many flows, throughput each way with a sparkline. */
import { Box, Text } from 'ink';

import type { CountersSnapshot, ProxyInfo, RecentActivity } from '../../stats/schema.js';
import { fit, formatAge, formatBytes, formatEndpoint, formatRate, sparkline } from '../model/format.js';

export const HEADER_LINES = 4;
/** "total 999M" plus a space, so the sparklines of both lines start in the same column. */
const TOTAL_WIDTH = 11;

export interface HeaderProps {
  proxy: ProxyInfo;
  counters: CountersSnapshot;
  recent: RecentActivity;
  width: number;
  paused: boolean;
}

function targetsText(proxy: ProxyInfo): string {
  if (proxy.config.dynamicDestination) return "each header's destination";
  const targets = [proxy.targets.ipv4, proxy.targets.ipv6].filter((target) => target !== null);
  return targets.length > 0 ? targets.map(formatEndpoint).join(', ') : 'no target';
}

function ThroughputLine(props: { label: string; rate: number; total: number; history: number[]; width: number }) {
  const rate = fit(formatRate(props.rate), 7, 'right');
  const total = `total ${formatBytes(props.total)}`;
  const totalText = fit(total, TOTAL_WIDTH);
  const sparkWidth = Math.max(0, props.width - props.label.length - rate.length - totalText.length - 3);
  return (
    <Text wrap="truncate">
      {props.label} <Text bold>{rate}</Text> <Text dimColor>{totalText}</Text>{' '}
      <Text color="cyan">{sparkline(props.history, sparkWidth)}</Text>
    </Text>
  );
}

export function Header({ proxy, counters, recent, width, paused }: HeaderProps) {
  const failed = Object.values(counters.failures).reduce((sum, count) => sum + count, 0);
  return (
    <Box flexDirection="column" width={width}>
      <Text wrap="truncate">
        <Text bold color="cyan">
          mmproxy top
        </Text>{' '}
        {proxy.protocol} {formatEndpoint(proxy.listen)} → {targetsText(proxy)} · pid {proxy.pid} · up{' '}
        {formatAge(proxy.uptimeSeconds)}
        {paused ? <Text inverse> PAUSED </Text> : ''}
      </Text>
      <Text wrap="truncate">
        flows <Text bold>{counters.active}</Text> active · {counters.accepted} accepted · {counters.established}{' '}
        established · {failed > 0 ? <Text color="red">{failed} failed</Text> : '0 failed'}
      </Text>
      <ThroughputLine
        label="→ target"
        rate={counters.rate.toTarget}
        total={counters.bytesToTarget}
        history={recent.throughput.map((t) => t.toTarget)}
        width={width}
      />
      <ThroughputLine
        label="← client"
        rate={counters.rate.toClient}
        total={counters.bytesToClient}
        history={recent.throughput.map((t) => t.toClient)}
        width={width}
      />
    </Box>
  );
}
