/**
 * `--metrics-listen ADDR`: the proxy's counters at http://ADDR/metrics in
 * Prometheus text format, read from the source on every scrape. The HTTP
 * server that serves them is ./metrics-server.ts. What a data plane counts
 * has one series per listener (`listener="name"`); what belongs to the
 * process (start time, internal errors, process_*, build info) has none.
 */
import { FAILURE_REASONS, type DataPlaneCounters, type UdpHeaderCounters } from '../base/flows.js';
import { formatEndpoint } from '../base/net/endpoint.js';
import { buildInfo, type BuildInfo } from '../base/package-info.js';
import { processFamilies } from './process-metrics.js';
import { sourceListeners } from './listeners.js';
import { histogramSamples, renderExposition, type MetricFamily, type MetricType, type Sample } from './prometheus.js';
import type { ListenerStats, ProxySummary, StatsSource } from './source.js';

/** One listener's counters, read once per scrape. */
export interface ListenerCounters {
  listener: Pick<ListenerStats, 'name' | 'protocol' | 'listen' | 'lastPort' | 'config'>;
  counters: DataPlaneCounters;
}

/**
 * A family with one series (or, for a histogram, one set of series) per listener, each labelled
 * `listener="name"`: the labels' values are the config's listener names, so the series are as many as its
 * listeners, never one per port or per flow.
 */
function perListener(
  name: string,
  help: string,
  type: MetricType,
  listeners: readonly ListenerCounters[],
  samples: (entry: ListenerCounters) => Sample[],
): MetricFamily {
  return {
    name,
    help,
    type,
    samples: listeners.flatMap((entry) =>
      samples(entry).map((sample) => ({ ...sample, labels: { listener: entry.listener.name, ...sample.labels } })),
    ),
  };
}

/** The families a data plane counts: one series per listener. */
export function listenerFamilies(listeners: readonly ListenerCounters[]): MetricFamily[] {
  const counter = (name: string, help: string, value: (counters: DataPlaneCounters) => number): MetricFamily =>
    perListener(name, help, 'counter', listeners, ({ counters }) => [{ value: value(counters) }]);
  const udp = listeners.filter((entry) => entry.listener.protocol === 'udp');
  return [
    perListener('mmproxy_info', 'What each listener listens on; always 1.', 'gauge', listeners, ({ listener }) => [
      {
        labels: {
          protocol: listener.protocol,
          listen: formatEndpoint(listener.listen),
          last_port: String(listener.lastPort),
        },
        value: 1,
      },
    ]),
    counter('mmproxy_connections_accepted_total', 'Connections accepted from load balancers.', (c) => c.accepted),
    counter('mmproxy_connections_established_total', 'Upstream connections that completed.', (c) => c.established),
    perListener(
      'mmproxy_connections_total',
      'Connections that ended, by result: completed, or the reason they failed.',
      'counter',
      listeners,
      ({ counters }) => [
        { labels: { result: 'completed' }, value: counters.completed },
        ...FAILURE_REASONS.map((reason) => ({ labels: { result: reason }, value: counters.failures[reason] ?? 0 })),
      ],
    ),
    counter(
      'mmproxy_local_headers_total',
      "PROXY headers with LOCAL or UNKNOWN: relayed from mmproxy's own address.",
      (c) => c.localHeaders,
    ),
    counter(
      'mmproxy_collision_fallbacks_total',
      "Flows whose client address:port was taken for their target, connected from another port of the client's address (--collision ephemeral-port).",
      (c) => c.collisionFallbacks,
    ),
    perListener('mmproxy_bytes_total', 'Bytes relayed, by direction.', 'counter', listeners, ({ counters }) => [
      { labels: { direction: 'to_target' }, value: counters.bytesToTarget },
      { labels: { direction: 'to_client' }, value: counters.bytesToClient },
    ]),
    perListener(
      'mmproxy_active_flows',
      'Connections (or UDP sessions) open now.',
      'gauge',
      listeners,
      ({ counters }) => [{ value: counters.active }],
    ),
    perListener(
      'mmproxy_bad_headers_total',
      'PROXY headers rejected, by parser error code.',
      'counter',
      listeners,
      ({ counters }) =>
        Object.entries(counters.badHeaders)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([code, value]) => ({ labels: { code }, value })),
    ),
    perListener(
      'mmproxy_connect_duration_seconds',
      'Time from starting an upstream connect to its completion, for connects that succeeded.',
      'histogram',
      listeners,
      ({ counters }) => connectDurationSamples(counters),
    ),
    ...(udp.length > 0 ? udpHeaderFamilies(udp) : []),
    counter(
      'mmproxy_accept_errors_total',
      'accept() failures such as EMFILE; accepting backs off and resumes.',
      (c) => c.acceptErrors,
    ),
    counter(
      'mmproxy_events_dropped_total',
      'Log events dropped because JavaScript did not read them fast enough.',
      (c) => c.eventsDropped,
    ),
  ];
}

/** The process as a whole: when it started and what it survived. Unlabelled. */
export function processWideFamilies(summary: ProxySummary, internalErrors = 0): MetricFamily[] {
  return [
    {
      name: 'mmproxy_start_time_seconds',
      help: 'When the proxy started, in seconds since the Unix epoch.',
      type: 'gauge',
      samples: [{ value: summary.startedAtMs / 1000 }],
    },
    {
      name: 'mmproxy_internal_errors_total',
      help: 'Exceptions nothing caught, logged and survived by the last-resort handler: each is a bug to report.',
      type: 'counter',
      samples: [{ value: internalErrors }],
    },
  ];
}

/** UDP listeners: their --udp-header and what came in under it. */
function udpHeaderFamilies(listeners: readonly ListenerCounters[]): MetricFamily[] {
  const counter = (name: string, help: string, value: (headers: UdpHeaderCounters) => number): MetricFamily =>
    perListener(name, help, 'counter', listeners, ({ counters }) => [{ value: value(counters.udpHeaders) }]);
  return [
    perListener(
      'mmproxy_udp_header_mode',
      "Where the load balancer puts the client's address (--udp-header); always 1.",
      'gauge',
      listeners,
      ({ listener }) => [{ labels: { mode: listener.config.udpHeader ?? 'every' }, value: 1 }],
    ),
    perListener(
      'mmproxy_udp_datagrams_total',
      'Datagrams relayed, by the header in front of them (bare: as the client their flow first named).',
      'counter',
      listeners,
      ({ counters: { udpHeaders } }) => [
        { labels: { header: 'proxy_v2' }, value: udpHeaders.datagrams.proxyV2 },
        { labels: { header: 'spp' }, value: udpHeaders.datagrams.spp },
        { labels: { header: 'bare' }, value: udpHeaders.datagrams.bare },
      ],
    ),
    counter(
      'mmproxy_udp_headerless_dropped_total',
      'Bare datagrams dropped for want of a session (--udp-header first: the flow header was lost or late).',
      (h) => h.headerlessDropped,
    ),
    counter('mmproxy_udp_spp_sessions_total', 'UDP sessions opened by an SPP header.', (h) => h.sppSessions),
    counter(
      'mmproxy_udp_header_changes_total',
      'Flows refused because a header named another client mid-flow (--udp-header first).',
      (h) => h.headerChanges,
    ),
  ];
}

/** Successful connects only: failed ones are in mmproxy_connections_total by reason. */
function connectDurationSamples(counters: DataPlaneCounters): Sample[] {
  const { boundsMs, counts, sumSeconds } = counters.connectDurations;
  return histogramSamples(
    boundsMs.map((ms) => ms / 1000),
    counts,
    sumSeconds,
  );
}

/** Which mmproxy this is, the Prometheus way (a constant 1 with the facts as labels). */
export function buildInfoFamily(info: BuildInfo): MetricFamily {
  return {
    name: 'mmproxy_build_info',
    help: 'The version of mmproxy, the commit it was built from and the node running it; always 1.',
    type: 'gauge',
    samples: [{ labels: { version: info.version, commit: info.commit ?? 'unknown', node: info.node }, value: 1 }],
  };
}

/** A listener a reload removed is left out from the next scrape on: Prometheus marks its series stale. */
export function renderMetrics(source: StatsSource): string {
  const listeners = sourceListeners(source).map((listener) => ({ listener, counters: listener.counters() }));
  return renderExposition([
    buildInfoFamily(buildInfo()),
    ...listenerFamilies(listeners),
    ...processWideFamilies(source.summary, source.internalErrors?.() ?? 0),
    ...processFamilies(),
  ]);
}
