/**
 * Shutting down gently: stop accepting, then let open connections finish,
 * up to --drain-timeout or until a second stop signal.
 */
import type { DataPlane } from '../native/dataplane-types.js';
import type { Logger } from './log/logger.js';
import { plural } from './log/plural.js';
import { formatEndpoint } from '../base/net/endpoint.js';
import type { ServiceNotifier } from './service/notify.js';

/** How often draining looks at the count of open connections. */
const DRAIN_POLL_MS = 100;
/** Cut flows named one a line at shutdown; the rest are a count. */
const CUT_FLOWS_NAMED = 10;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** What drain() needs of a data plane, or of every plane of a config file together. */
export type Drainable = Pick<DataPlane, 'stopAccepting' | 'counters' | 'flows'>;

/**
 * `service` hears, for `systemctl status`, how many connections are still open, each time that changes.
 * Resolves with the number of flows still open, which closing the data plane then cuts.
 */
export async function drain(
  plane: Drainable,
  timeoutMs: number,
  logger: Logger,
  forced: () => boolean,
  service?: Pick<ServiceNotifier, 'status'>,
): Promise<number> {
  plane.stopAccepting();
  const deadline = Date.now() + timeoutMs;
  let shown = plane.counters().active;
  logger.log('info', 'draining', `stopped accepting; waiting up to ${timeoutMs / 1000}s for open connections`, {
    active: shown,
  });
  const status = (active: number): string =>
    `draining: ${plural(active, 'open connection')}, closing at most ${timeoutMs / 1000}s after the stop`;
  service?.status(status(shown));
  while (plane.counters().active > 0 && Date.now() < deadline && !forced()) {
    await sleep(DRAIN_POLL_MS);
    const active = plane.counters().active;
    if (active !== shown) service?.status(status((shown = active)));
  }
  const left = plane.counters().active;
  if (left > 0) {
    const why = forced() ? 'a second signal arrived' : 'the drain timeout passed';
    logger.log('warn', 'drain_incomplete', `closing ${plural(left, 'open connection')}: ${why}`, { active: left });
    logCutFlows(plane, logger);
  }
  return left;
}

/** Each flow about to be cut, so none ends unlogged: the first few by name, then how many more. */
function logCutFlows(plane: Drainable, logger: Logger): void {
  const flows = plane.flows();
  for (const flow of flows.slice(0, CUT_FLOWS_NAMED)) {
    const client = flow.client ? formatEndpoint(flow.client) : 'no client yet';
    logger.log('warn', 'drain_cut', `closing a ${flow.state} flow at shutdown`, {
      lb: formatEndpoint(flow.loadBalancer),
      client,
      ...(flow.target ? { target: formatEndpoint(flow.target) } : {}),
      bytes_to_target: flow.bytesToTarget,
      bytes_to_client: flow.bytesToClient,
    });
  }
  if (flows.length > CUT_FLOWS_NAMED) {
    logger.log('warn', 'drain_cut', `and ${plural(flows.length - CUT_FLOWS_NAMED, 'more flow')} closed at shutdown`);
  }
}

/**
 * The closing line's figures: what the proxy did in its life. They add up: every accepted connection ended
 * completed, failed (by reason) or cut at shutdown (`cut`, the flows drain() left open; `cutKey` names them
 * for a listener a reload removed: cut_at_reload).
 */
export function lifetimeTotals(
  plane: Pick<DataPlane, 'counters'>,
  cut = 0,
  cutKey = 'cut_at_shutdown',
): Record<string, number> {
  const counters = plane.counters();
  const failures = Object.entries(counters.failures)
    .filter(([, count]) => count > 0)
    .map(([reason, count]): [string, number] => [`failed_${reason}`, count]);
  return {
    accepted: counters.accepted,
    completed: counters.completed,
    ...Object.fromEntries(failures),
    ...(cut > 0 ? { [cutKey]: cut } : {}),
    // Only when it happened: most proxies never see an address collision.
    ...(counters.collisionFallbacks > 0 ? { collision_fallbacks: counters.collisionFallbacks } : {}),
    bytes_to_target: counters.bytesToTarget,
    bytes_to_client: counters.bytesToClient,
    events_dropped: counters.eventsDropped,
  };
}
