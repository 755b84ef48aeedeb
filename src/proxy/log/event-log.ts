/**
 * Turns the data plane's event batches into log lines: filters them by -v and
 * rate-limits each kind. The data plane writes the messages, with the likely
 * cause and what to do (it knows, e.g., whether a timed-out connect was
 * spoofed); this side adds the fields and decides what is shown.
 *   -v 0: errors and warnings; -v 1: + info (each failed connection);
 *   -v 2: + debug (every connection's life).
 */
import type { DataPlaneEvent, DataPlaneEventKind } from '../../base/flows.js';
import type { Endpoint } from '../../base/net/endpoint.js';
import { formatEndpoint } from '../../base/net/endpoint.js';
import type { Verbosity } from '../../config/proxy-options.js';
import type { Logger } from './logger.js';
import type { LineRateLimiter } from './rate-limit.js';
import type { LogLevel, LogValue } from './record.js';

/** Said better by the control plane's own startup line (addresses, targets, subnets). */
const COVERED_BY_STARTUP_LINE: DataPlaneEventKind = 'listening';
/**
 * Shown at every -v: the end of a state whose start was a warning ("accepting connections again" after
 * "cannot accept connections"), so that whoever saw the warning also sees it is over.
 */
const ENDS_A_WARNING = new Set<DataPlaneEventKind>(['accept_backoff']);

const SEVERITY: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };
/** The most verbose level shown at each -v. */
const SHOWN_UP_TO: Record<Verbosity, number> = { 0: SEVERITY.warn, 1: SEVERITY.info, 2: SEVERITY.debug };

export interface EventLog {
  /** `fields` go on every line of the batch: a config file's plane says which listener it serves. */
  handle(events: readonly DataPlaneEvent[], fields?: Readonly<Record<string, LogValue>>): void;
  /** Events handed to handle() so far, shown or not. */
  readonly received: number;
  /** Reports lines held back by windows that have ended; Infinity reports all (at exit). */
  flushSuppressed(nowMs: number): void;
  /** A reload of the config file may change -v; lines from then on follow it. */
  setVerbosity(verbosity: Verbosity): void;
}

function eventFields(event: DataPlaneEvent): Record<string, LogValue> {
  const fields: Record<string, LogValue> = {};
  const endpoint = (name: string, value: Endpoint | undefined): void => {
    if (value) fields[name] = formatEndpoint(value);
  };
  if (event.flowId !== undefined) fields['flow'] = event.flowId;
  endpoint('client', event.client);
  endpoint('lb', event.loadBalancer);
  endpoint('target', event.target);
  if (event.code !== undefined) fields['code'] = event.code;
  if (event.bytesToTarget !== undefined) fields['bytes_to_target'] = event.bytesToTarget;
  if (event.bytesToClient !== undefined) fields['bytes_to_client'] = event.bytesToClient;
  if (event.durationMs !== undefined) fields['duration_ms'] = event.durationMs;
  return fields;
}

export function createEventLog(options: {
  logger: Logger;
  verbosity: Verbosity;
  limiter: LineRateLimiter;
  now: () => number;
}): EventLog {
  const { logger, limiter, now } = options;
  let { verbosity } = options;
  const windowSeconds = limiter.windowMs / 1000;
  const summarise = (key: string, suppressed: number): void => {
    const [level, kind] = key.split(' ') as [LogLevel, string];
    logger.log(level, kind, `${suppressed} more similar lines suppressed in ${windowSeconds}s`, { suppressed });
  };
  let received = 0;
  return {
    get received() {
      return received;
    },
    handle(events, fields) {
      received += events.length;
      for (const event of events) {
        const { level } = event;
        const shown = SEVERITY[level] <= SHOWN_UP_TO[verbosity] || ENDS_A_WARNING.has(event.kind);
        if (!shown || event.kind === COVERED_BY_STARTUP_LINE) continue;
        const key = `${level} ${event.kind}`;
        const { admitted, suppressedBefore } = limiter.admit(key, now());
        if (suppressedBefore > 0) summarise(key, suppressedBefore);
        if (admitted) logger.log(level, event.kind, event.message, { ...fields, ...eventFields(event) });
      }
    },
    flushSuppressed(nowMs) {
      for (const { key, suppressed } of limiter.takeSuppressed(nowMs)) summarise(key, suppressed);
    },
    setVerbosity(next) {
      verbosity = next;
    },
  };
}
