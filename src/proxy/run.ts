/**
 * The proxy's life: start the data plane, log what it does, reload the
 * allowed subnets on SIGHUP, and on SIGTERM/SIGINT stop accepting, let open
 * connections finish up to --drain-timeout, close, and exit 0.
 */
import type { DataPlane, DataPlaneConfig, DataPlaneEvent } from '../native/dataplane-types.js';
import { describeConfig, toDataPlaneConfig } from './config.js';
import { drain, lifetimeTotals } from './drain.js';
import type { EventLog } from './log/event-log.js';
import type { Logger } from './log/logger.js';
import type { ProxyOptions } from './options.js';
import { SubnetReloader } from './reload.js';
import { ProxySignals, type SignalSource } from './signals.js';
import { startFailureMessage } from './start-errors.js';
import type { SubnetList } from './subnets.js';

export type DataPlaneFactory = (config: DataPlaneConfig, onEvents: (events: DataPlaneEvent[]) => void) => DataPlane;

export interface ProxyRuntime {
  createDataPlane: DataPlaneFactory;
  logger: Logger;
  eventLog: EventLog;
  signals: SignalSource;
  loadSubnets: (path: string) => Promise<SubnetList>;
}

export const EXIT_STOPPED = 0;
export const EXIT_START_FAILED = 1;

/** How often rate-limited log lines are summarised. */
const SUPPRESSED_FLUSH_MS = 1000;

/** Creates and starts the data plane; null (after logging why) when it cannot start. */
function startDataPlane(config: DataPlaneConfig, runtime: ProxyRuntime): DataPlane | null {
  let plane: DataPlane | undefined;
  try {
    plane = runtime.createDataPlane(config, (events) => runtime.eventLog.handle(events));
    plane.start();
    return plane;
  } catch (error) {
    plane?.close();
    runtime.logger.log('error', 'start_failed', startFailureMessage(error));
    return null;
  }
}

export async function runProxy(options: ProxyOptions, subnets: SubnetList | null, runtime: ProxyRuntime): Promise<number> {
  const { logger, eventLog } = runtime;
  const config = toDataPlaneConfig(options, subnets?.subnets ?? []);
  for (const note of subnets?.notes ?? []) logger.log('warn', 'allowed_subnets', note);

  const plane = startDataPlane(config, runtime);
  if (!plane) return EXIT_START_FAILED;
  logger.log('info', 'listening', describeConfig(config, options.allowedSubnetsFile));

  const reloader = new SubnetReloader(plane, options.allowedSubnetsFile, runtime.loadSubnets, logger, config.allowedSubnets.length);
  const signals = new ProxySignals(runtime.signals, () => reloader.request());
  const flushTimer = setInterval(() => eventLog.flushSuppressed(Date.now()), SUPPRESSED_FLUSH_MS);

  const signal = await signals.stopRequested;
  logger.log('info', 'stopping', `${signal}: shutting down`);
  await reloader.settled();
  await drain(plane, options.drainTimeoutMs, logger, () => signals.forced);
  const totals = lifetimeTotals(plane);
  plane.close();
  signals.dispose();
  clearInterval(flushTimer);
  eventLog.flushSuppressed(Infinity);
  logger.log('info', 'stopped', 'all connections closed', totals);
  return EXIT_STOPPED;
}
