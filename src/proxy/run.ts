/**
 * The proxy's life: start the data plane, log what it does, reload the
 * allowed subnets on SIGHUP, and on SIGTERM/SIGINT stop accepting, let open
 * connections finish up to --drain-timeout, close, and exit 0.
 */
import type { DataPlane, DataPlaneConfig, DataPlaneEvent } from '../native/dataplane-types.js';
import { describeConfig, toDataPlaneConfig } from './config.js';
import type { EventLog } from './log/event-log.js';
import type { Logger } from './log/logger.js';
import type { ProxyOptions } from './options.js';
import type { SubnetList } from './subnets.js';
import { startFailureMessage } from './start-errors.js';

export type DataPlaneFactory = (config: DataPlaneConfig, onEvents: (events: DataPlaneEvent[]) => void) => DataPlane;

/** Where signals come from: `process` in the CLI. */
export type SignalSource = Pick<NodeJS.Process, 'on' | 'off'>;

export interface ProxyRuntime {
  createDataPlane: DataPlaneFactory;
  logger: Logger;
  eventLog: EventLog;
  signals: SignalSource;
  loadSubnets: (path: string) => Promise<SubnetList>;
}

export const EXIT_STOPPED = 0;
export const EXIT_START_FAILED = 1;

/** How often draining looks at the count of open connections. */
const DRAIN_POLL_MS = 100;
/** How often rate-limited log lines are summarised. */
const SUPPRESSED_FLUSH_MS = 1000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function logNotes(logger: Logger, notes: string[]): void {
  for (const note of notes) logger.log('warn', 'allowed_subnets', note);
}

/** Stops accepting and waits for open connections to finish, up to the timeout or a second signal. */
async function drain(plane: DataPlane, options: ProxyOptions, logger: Logger, forced: () => boolean): Promise<void> {
  plane.stopAccepting();
  const deadline = Date.now() + options.drainTimeoutMs;
  const open = plane.counters().active;
  logger.log('info', 'draining', `stopped accepting; waiting up to ${options.drainTimeoutMs / 1000}s for open connections`, {
    active: open,
  });
  while (plane.counters().active > 0 && Date.now() < deadline && !forced()) await sleep(DRAIN_POLL_MS);
  const left = plane.counters().active;
  if (left > 0) {
    const why = forced() ? 'a second signal arrived' : 'the drain timeout passed';
    logger.log('warn', 'drain_incomplete', `closing ${left} open connections: ${why}`, { active: left });
  }
}

function summary(plane: DataPlane): Record<string, number> {
  const counters = plane.counters();
  const failures = Object.fromEntries(
    Object.entries(counters.failures)
      .filter(([, count]) => count > 0)
      .map(([reason, count]) => [`failed_${reason}`, count]),
  );
  return {
    accepted: counters.accepted,
    completed: counters.completed,
    ...failures,
    bytes_to_target: counters.bytesToTarget,
    bytes_to_client: counters.bytesToClient,
    events_dropped: counters.eventsDropped,
  };
}

export async function runProxy(options: ProxyOptions, subnets: SubnetList | null, runtime: ProxyRuntime): Promise<number> {
  const { logger, eventLog, signals } = runtime;
  const config = toDataPlaneConfig(options, subnets?.subnets ?? []);
  logNotes(logger, subnets?.notes ?? []);

  let plane: DataPlane;
  try {
    plane = runtime.createDataPlane(config, (events) => eventLog.handle(events));
  } catch (error) {
    logger.log('error', 'start_failed', startFailureMessage(error, config));
    return EXIT_START_FAILED;
  }
  try {
    plane.start();
  } catch (error) {
    plane.close();
    logger.log('error', 'start_failed', startFailureMessage(error, config));
    return EXIT_START_FAILED;
  }
  logger.log('info', 'listening', describeConfig(config, options.allowedSubnetsFile));

  const flushTimer = setInterval(() => eventLog.flushSuppressed(Date.now()), SUPPRESSED_FLUSH_MS);
  let reloading: Promise<void> = Promise.resolve();
  let stopSignals = 0;

  const reload = async (): Promise<void> => {
    const path = options.allowedSubnetsFile;
    if (!path) {
      logger.log('info', 'reload', 'SIGHUP: there is no -allowed-subnets file to reload');
      return;
    }
    try {
      const next = await runtime.loadSubnets(path);
      plane.setAllowedSubnets(next.subnets);
      logNotes(logger, next.notes);
      logger.log('info', 'reload', `SIGHUP: now allowing ${next.subnets.length} subnets from ${path}`);
      config.allowedSubnets = next.subnets;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      logger.log('error', 'reload_failed', `SIGHUP: ${reason}; still allowing the previous ${config.allowedSubnets.length} subnets`);
    }
  };
  const onHangup = (): void => {
    reloading = reloading.then(reload);
  };

  const cleanups: (() => void)[] = [];
  const stopped = new Promise<NodeJS.Signals>((resolve) => {
    const onStop = (signal: NodeJS.Signals): void => {
      stopSignals++;
      if (stopSignals === 1) resolve(signal);
    };
    signals.on('SIGTERM', onStop);
    signals.on('SIGINT', onStop);
    signals.on('SIGHUP', onHangup);
    cleanups.push(() => {
      signals.off('SIGTERM', onStop);
      signals.off('SIGINT', onStop);
      signals.off('SIGHUP', onHangup);
    });
  });

  const signal = await stopped;
  logger.log('info', 'stopping', `${signal}: shutting down`);
  await reloading;
  await drain(plane, options, logger, () => stopSignals > 1);
  const totals = summary(plane);
  plane.close();
  for (const cleanup of cleanups) cleanup();
  clearInterval(flushTimer);
  eventLog.flushSuppressed(Infinity);
  logger.log('info', 'stopped', 'all connections closed', totals);
  return EXIT_STOPPED;
}
