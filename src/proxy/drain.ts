/**
 * Shutting down gently: stop accepting, then let open connections finish,
 * up to --drain-timeout or until a second stop signal.
 */
import type { DataPlane } from '../native/dataplane-types.js';
import type { Logger } from './log/logger.js';
import { plural } from './log/plural.js';
import type { ServiceNotifier } from './service/notify.js';

/** How often draining looks at the count of open connections. */
const DRAIN_POLL_MS = 100;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * `service` hears, for `systemctl status`, how many connections are still open, each time that changes.
 */
export async function drain(
  plane: DataPlane,
  timeoutMs: number,
  logger: Logger,
  forced: () => boolean,
  service?: Pick<ServiceNotifier, 'status'>,
): Promise<void> {
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
  }
}

/** The closing line's figures: what the proxy did in its life. */
export function lifetimeTotals(plane: DataPlane): Record<string, number> {
  const counters = plane.counters();
  const failures = Object.entries(counters.failures)
    .filter(([, count]) => count > 0)
    .map(([reason, count]): [string, number] => [`failed_${reason}`, count]);
  return {
    accepted: counters.accepted,
    completed: counters.completed,
    ...Object.fromEntries(failures),
    // Only when it happened: most proxies never see an address collision.
    ...(counters.collisionFallbacks > 0 ? { collision_fallbacks: counters.collisionFallbacks } : {}),
    bytes_to_target: counters.bytesToTarget,
    bytes_to_client: counters.bytesToClient,
    events_dropped: counters.eventsDropped,
  };
}
