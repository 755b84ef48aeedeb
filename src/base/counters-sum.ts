/**
 * The data plane's counters summed over many planes: a listener over its ports, a process over its listeners.
 * Every field is a count, so a sum is exact; connect-duration buckets add up bucket by bucket (every plane has
 * the same bounds, the data plane's).
 */
import { FAILURE_REASONS, type DataPlaneCounters, type FailureReason } from './flows.js';

export function zeroCounters(boundsMs: readonly number[] = []): DataPlaneCounters {
  return {
    accepted: 0,
    established: 0,
    active: 0,
    completed: 0,
    localHeaders: 0,
    failures: Object.fromEntries(FAILURE_REASONS.map((reason) => [reason, 0])) as Record<FailureReason, number>,
    badHeaders: {},
    bytesToTarget: 0,
    bytesToClient: 0,
    acceptErrors: 0,
    eventsDropped: 0,
    connectDurations: {
      boundsMs: [...boundsMs],
      counts: new Array<number>(boundsMs.length + 1).fill(0),
      count: 0,
      sumSeconds: 0,
    },
    sessionsEvicted: 0,
    datagramsDropped: 0,
    collisionFallbacks: 0,
    udpHeaders: { datagrams: { proxyV2: 0, spp: 0, bare: 0 }, headerlessDropped: 0, sppSessions: 0, headerChanges: 0 },
  };
}

const SCALARS = [
  'accepted',
  'established',
  'active',
  'completed',
  'localHeaders',
  'bytesToTarget',
  'bytesToClient',
  'acceptErrors',
  'eventsDropped',
  'sessionsEvicted',
  'datagramsDropped',
  'collisionFallbacks',
] as const satisfies readonly (keyof DataPlaneCounters)[];

/** The sum of `parts`; all zero (with no buckets) for none. */
export function sumCounters(parts: readonly DataPlaneCounters[]): DataPlaneCounters {
  const total = zeroCounters(parts[0]?.connectDurations.boundsMs ?? []);
  for (const part of parts) {
    for (const key of SCALARS) total[key] += part[key];
    for (const reason of FAILURE_REASONS) total.failures[reason] += part.failures[reason] ?? 0;
    for (const [code, count] of Object.entries(part.badHeaders)) {
      total.badHeaders[code] = (total.badHeaders[code] ?? 0) + count;
    }
    const durations = total.connectDurations;
    part.connectDurations.counts.forEach((count, bucket) => {
      durations.counts[bucket] = (durations.counts[bucket] ?? 0) + count;
    });
    durations.count += part.connectDurations.count;
    durations.sumSeconds += part.connectDurations.sumSeconds;
    const udp = total.udpHeaders;
    udp.datagrams.proxyV2 += part.udpHeaders.datagrams.proxyV2;
    udp.datagrams.spp += part.udpHeaders.datagrams.spp;
    udp.datagrams.bare += part.udpHeaders.datagrams.bare;
    udp.headerlessDropped += part.udpHeaders.headerlessDropped;
    udp.sppSessions += part.udpHeaders.sppSessions;
    udp.headerChanges += part.udpHeaders.headerChanges;
  }
  return total;
}
