/**
 * The header's text: what the proxy is, its flow counts, and throughput each
 * way with a sparkline as wide as the line leaves room for.
 */
import type { ProxyInfo, StatsSnapshot } from '../../stats/schema.js';
import { fit, formatAge, formatBytes, endpointCell, formatRate, sparkline } from './format.js';

/** The header draws the proxy line, the counts line and two throughput lines. */
export const HEADER_LINES = 4;
/** "total 999M" plus a space, so the sparklines of both lines start in the same column. */
const TOTAL_WIDTH = 11;
/** "999K/s" right-aligned in one more column. */
const RATE_WIDTH = 7;
/** The spaces between label, rate, total and sparkline. */
const THROUGHPUT_GAPS = 3;

export interface ThroughputLine {
  readonly label: string;
  readonly rate: string;
  readonly total: string;
  readonly sparkline: string;
}

export interface HeaderModel {
  /** "tcp 0.0.0.0:8443 → 127.0.0.1:8080 · pid 4242 · up 3h02m" */
  readonly proxy: string;
  readonly paused: boolean;
  readonly active: number;
  readonly accepted: number;
  readonly established: number;
  readonly failed: number;
  /** UDP: "datagrams v2 12 · spp 3 · bare 40", the kinds of header seen (and the headerless dropped); null for TCP. */
  readonly datagrams: string | null;
  readonly toTarget: ThroughputLine;
  readonly toClient: ThroughputLine;
}

function targetsText(proxy: ProxyInfo): string {
  if (proxy.config.dynamicDestination) return "each header's destination";
  const targets = [proxy.targets.ipv4, proxy.targets.ipv6].filter((target) => target !== null);
  return targets.length > 0 ? targets.map(endpointCell).join(', ') : 'no target';
}

/** UDP: where the load balancer puts the client's address, from proxies that say (`every` before they did). */
function listenText(proxy: ProxyInfo): string {
  const listen = endpointCell(proxy.listen);
  return proxy.protocol === 'udp' ? `${listen} (${proxy.config.udpHeader ?? 'every'} headers)` : listen;
}

/** The kinds seen, the mode's own always shown (zero too); null for TCP or a proxy from before the counts. */
function datagramsText(snapshot: StatsSnapshot): string | null {
  const headers = snapshot.counters.udpHeaders;
  if (snapshot.proxy.protocol !== 'udp' || !headers) return null;
  const mode = snapshot.proxy.config.udpHeader ?? 'every';
  const kinds = [
    ['v2', headers.datagrams.proxyV2, mode !== 'spp'],
    ['spp', headers.datagrams.spp, mode === 'spp' || mode === 'auto'],
    ['bare', headers.datagrams.bare, mode === 'first'],
  ] as const;
  const shown = kinds.filter(([, count, own]) => own || count > 0).map(([name, count]) => `${name} ${count}`);
  const dropped = headers.headerlessDropped > 0 ? ` · ${headers.headerlessDropped} headerless dropped` : '';
  return `datagrams ${shown.join(' · ')}${dropped}`;
}

function throughputLine(label: string, rate: number, total: number, history: number[], width: number): ThroughputLine {
  const rateText = fit(formatRate(rate), RATE_WIDTH, 'right');
  const totalText = fit(`total ${formatBytes(total)}`, TOTAL_WIDTH);
  const sparkWidth = Math.max(0, width - label.length - rateText.length - totalText.length - THROUGHPUT_GAPS);
  return { label, rate: rateText, total: totalText, sparkline: sparkline(history, sparkWidth) };
}

/** What the process serves: its one listener, or how many (each has its line above its flows). */
function servesText(snapshot: StatsSnapshot): string {
  const { proxy, listeners = [] } = snapshot;
  if (listeners.length <= 1) return `${proxy.protocol} ${listenText(proxy)} → ${targetsText(proxy)}`;
  const protocols = [...new Set(listeners.map((listener) => listener.protocol))].sort().join(', ');
  return `${listeners.length} listeners (${protocols})`;
}

export function headerModel(snapshot: StatsSnapshot, width: number, paused: boolean): HeaderModel {
  const { proxy, counters, recent } = snapshot;
  return {
    proxy: `${servesText(snapshot)} · pid ${proxy.pid} · up ${formatAge(proxy.uptimeSeconds)}`,
    paused,
    active: counters.active,
    accepted: counters.accepted,
    established: counters.established,
    failed: Object.values(counters.failures).reduce((sum, count) => sum + count, 0),
    datagrams: datagramsText(snapshot),
    toTarget: throughputLine(
      '→ target',
      counters.rate.toTarget,
      counters.bytesToTarget,
      recent.throughput.map((t) => t.toTarget),
      width,
    ),
    toClient: throughputLine(
      '← client',
      counters.rate.toClient,
      counters.bytesToClient,
      recent.throughput.map((t) => t.toClient),
      width,
    ),
  };
}
