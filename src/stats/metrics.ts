/**
 * `--metrics-listen ADDR`: the proxy's counters at http://ADDR/metrics in
 * Prometheus text format, read from the source on every scrape. The HTTP
 * server that serves them is ./metrics-server.ts.
 */
import { FAILURE_REASONS, type DataPlaneCounters } from '../base/flows.js';
import { buildInfo, type BuildInfo } from '../base/package-info.js';
import { processFamilies } from './process-metrics.js';
import { histogramSamples, renderExposition, type MetricFamily } from './prometheus.js';
import type { ProxySummary, StatsSource } from './source.js';

function endpointText(endpoint: { family: 4 | 6; address: string; port: number }): string {
  return endpoint.family === 6 ? `[${endpoint.address}]:${endpoint.port}` : `${endpoint.address}:${endpoint.port}`;
}

export function metricFamilies(summary: ProxySummary, counters: DataPlaneCounters, internalErrors = 0): MetricFamily[] {
  const counter = (name: string, help: string, value: number): MetricFamily => ({
    name,
    help,
    type: 'counter',
    samples: [{ value }],
  });
  return [
    {
      name: 'mmproxy_info',
      help: 'What this proxy listens on; always 1.',
      type: 'gauge',
      samples: [{ labels: { protocol: summary.protocol, listen: endpointText(summary.listen) }, value: 1 }],
    },
    {
      name: 'mmproxy_start_time_seconds',
      help: 'When the proxy started, in seconds since the Unix epoch.',
      type: 'gauge',
      samples: [{ value: summary.startedAtMs / 1000 }],
    },
    counter('mmproxy_connections_accepted_total', 'Connections accepted from load balancers.', counters.accepted),
    counter('mmproxy_connections_established_total', 'Upstream connections that completed.', counters.established),
    {
      name: 'mmproxy_connections_total',
      help: 'Connections that ended, by result: completed, or the reason they failed.',
      type: 'counter',
      samples: [
        { labels: { result: 'completed' }, value: counters.completed },
        ...FAILURE_REASONS.map((reason) => ({ labels: { result: reason }, value: counters.failures[reason] ?? 0 })),
      ],
    },
    counter(
      'mmproxy_local_headers_total',
      "PROXY headers with LOCAL or UNKNOWN: relayed from mmproxy's own address.",
      counters.localHeaders,
    ),
    counter(
      'mmproxy_collision_fallbacks_total',
      "Flows whose client address:port was taken for their target, connected from another port of the client's address (--collision ephemeral-port).",
      counters.collisionFallbacks,
    ),
    {
      name: 'mmproxy_bytes_total',
      help: 'Bytes relayed, by direction.',
      type: 'counter',
      samples: [
        { labels: { direction: 'to_target' }, value: counters.bytesToTarget },
        { labels: { direction: 'to_client' }, value: counters.bytesToClient },
      ],
    },
    {
      name: 'mmproxy_active_flows',
      help: 'Connections (or UDP sessions) open now.',
      type: 'gauge',
      samples: [{ value: counters.active }],
    },
    {
      name: 'mmproxy_bad_headers_total',
      help: 'PROXY headers rejected, by parser error code.',
      type: 'counter',
      samples: Object.entries(counters.badHeaders)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([code, value]) => ({ labels: { code }, value })),
    },
    connectDurationHistogram(counters),
    ...(summary.protocol === 'udp' ? udpHeaderFamilies(summary, counters) : []),
    counter(
      'mmproxy_accept_errors_total',
      'accept() failures such as EMFILE; accepting backs off and resumes.',
      counters.acceptErrors,
    ),
    counter(
      'mmproxy_events_dropped_total',
      'Log events dropped because JavaScript did not read them fast enough.',
      counters.eventsDropped,
    ),
    counter(
      'mmproxy_internal_errors_total',
      'Exceptions nothing caught, logged and survived by the last-resort handler: each is a bug to report.',
      internalErrors,
    ),
  ];
}

/** UDP: the listener's --udp-header and what came in under it. */
function udpHeaderFamilies(summary: ProxySummary, counters: DataPlaneCounters): MetricFamily[] {
  const { datagrams, headerlessDropped, sppSessions, headerChanges } = counters.udpHeaders;
  const counter = (name: string, help: string, value: number): MetricFamily => ({
    name,
    help,
    type: 'counter',
    samples: [{ value }],
  });
  return [
    {
      name: 'mmproxy_udp_header_mode',
      help: "Where the load balancer puts the client's address (--udp-header); always 1.",
      type: 'gauge',
      samples: [{ labels: { mode: summary.config.udpHeader ?? 'every' }, value: 1 }],
    },
    {
      name: 'mmproxy_udp_datagrams_total',
      help: 'Datagrams relayed, by the header in front of them (bare: as the client their flow first named).',
      type: 'counter',
      samples: [
        { labels: { header: 'proxy_v2' }, value: datagrams.proxyV2 },
        { labels: { header: 'spp' }, value: datagrams.spp },
        { labels: { header: 'bare' }, value: datagrams.bare },
      ],
    },
    counter(
      'mmproxy_udp_headerless_dropped_total',
      'Bare datagrams dropped for want of a session (--udp-header first: the flow header was lost or late).',
      headerlessDropped,
    ),
    counter('mmproxy_udp_spp_sessions_total', 'UDP sessions opened by an SPP header.', sppSessions),
    counter(
      'mmproxy_udp_header_changes_total',
      'Flows refused because a header named another client mid-flow (--udp-header first).',
      headerChanges,
    ),
  ];
}

/** Successful connects only: failed ones are in mmproxy_connections_total by reason. */
function connectDurationHistogram(counters: DataPlaneCounters): MetricFamily {
  const { boundsMs, counts, sumSeconds } = counters.connectDurations;
  return {
    name: 'mmproxy_connect_duration_seconds',
    help: 'Time from starting an upstream connect to its completion, for connects that succeeded.',
    type: 'histogram',
    samples: histogramSamples(
      boundsMs.map((ms) => ms / 1000),
      counts,
      sumSeconds,
    ),
  };
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

export function renderMetrics(source: StatsSource): string {
  return renderExposition([
    buildInfoFamily(buildInfo()),
    ...metricFamilies(source.summary, source.counters(), source.internalErrors?.() ?? 0),
    ...processFamilies(),
  ]);
}
