/**
 * The proxy's life: start the data plane, log what it does, reload the
 * allowed subnets on SIGHUP, and on SIGTERM/SIGINT stop accepting, let open
 * connections finish up to --drain-timeout, close, and exit 0.
 */
import type { DataPlane, DataPlaneConfig, DataPlaneOptions } from '../native/dataplane-types.js';
import type { DataPlaneEvent } from '../base/flows.js';
import { startProxyStats, type ProxyStats } from '../stats/proxy-stats.js';
import { statsSourceFor, type ProxyHealth } from '../stats/source.js';
import { formatEndpoint } from '../base/net/endpoint.js';
import { anyPeerExposure, describeConfig, toDataPlaneConfig } from './config.js';
import { fastPathLine } from './dataplane.js';
import { drain, lifetimeTotals, type Drainable } from './drain.js';
import type { EventLog } from './log/event-log.js';
import type { Logger } from './log/logger.js';
import type { ProxyOptions } from '../config/proxy-options.js';
import { LastResort, type UncaughtErrorSource } from './last-resort.js';
import { SubnetReloader } from './reload.js';
import { ProxySignals, type SignalSource } from './signals.js';
import type { ServiceNotifier } from './service/notify.js';
import { startFailureMessage } from './start-errors.js';
import type { SubnetList } from '../config/allowed-subnets.js';

export type DataPlaneFactory = (
  config: DataPlaneConfig,
  onEvents: (events: DataPlaneEvent[]) => void,
  options?: DataPlaneOptions,
) => DataPlane;

export interface ProxyRuntime {
  createDataPlane: DataPlaneFactory;
  logger: Logger;
  eventLog: EventLog;
  signals: SignalSource;
  loadSubnets: (path: string) => Promise<SubnetList>;
  /** systemd's notifications (./service/notify.ts); absent outside the CLI. */
  service?: ServiceNotifier;
  /** Where uncaught errors surface (`process` in the CLI; ./last-resort.ts); absent: not caught here. */
  uncaught?: UncaughtErrorSource;
}

export const EXIT_STOPPED = 0;
export const EXIT_START_FAILED = 1;
/** An internal error left the data plane unable to answer (./last-resort.ts); sysexits' EX_SOFTWARE. */
export const EXIT_INTERNAL_ERRORS = 70;

/** How often rate-limited log lines are summarised. */
export const SUPPRESSED_FLUSH_MS = 1000;
/** Bound on the loop turns spent collecting the data plane's last events. */
const MAX_LATE_EVENT_TURNS = 100;

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * close() joins the workers, whose last batches of events are then queued for
 * this thread and delivered on the coming loop turns. Waits until a full turn
 * (two hops: one poll phase in between) brings none, so that those events are
 * logged, and counted in the summaries, before the closing line.
 */
export async function collectLateEvents(eventLog: EventLog): Promise<void> {
  for (let turn = 0; turn < MAX_LATE_EVENT_TURNS; turn++) {
    const before = eventLog.received;
    await nextTurn();
    await nextTurn();
    if (eventLog.received === before) return;
  }
}

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

/** Where the proxy is in its life, for /readyz: ready only while serving. */
export type ServingPhase = 'starting' | 'serving' | 'draining';

/** What the serving and stopping sequence needs of a started proxy: one data plane, or a config file's. */
export interface StartedProxy {
  runtime: Pick<ProxyRuntime, 'logger' | 'eventLog' | 'service'>;
  stats: Pick<ProxyStats, 'statsSocket' | 'metricsAddress' | 'close'>;
  signals: ProxySignals;
  lastResort: LastResort | null;
  reloader: { settled(): Promise<void> };
  /** The `listening` line that says the proxy serves, and systemd's status. */
  summary: string;
  answers(): boolean;
  setPhase(phase: ServingPhase): void;
  /** What a stop drains (every open plane), and for how long: read at the stop, since a reload may change it. */
  drainable(): Drainable;
  drainTimeoutMs(): number;
  /** The closing line's counts, given the flows the drain cut. */
  totals(cut: number): Record<string, number>;
  /** Closes every plane (and the threads they share). */
  close(): void;
}

/**
 * Says the proxy serves, waits for a stop (a signal, or a fatal state), drains, closes and says so: the same
 * sequence for a command line and a config file. Resolves to the exit code.
 */
export async function serveUntilStopped(proxy: StartedProxy): Promise<number> {
  const { runtime, stats, signals, lastResort } = proxy;
  const { logger, eventLog } = runtime;
  logger.log('info', 'listening', proxy.summary, {
    ...(stats.statsSocket ? { stats_socket: stats.statsSocket } : {}),
    ...(stats.metricsAddress ? { metrics: `http://${stats.metricsAddress}/metrics` } : {}),
  });
  // Every listener is bound by now (data plane, stats socket, metrics): systemd may call the unit started.
  runtime.service?.ready(proxy.summary, () => proxy.answers());
  proxy.setPhase('serving');
  const flushTimer = setInterval(() => eventLog.flushSuppressed(Date.now()), SUPPRESSED_FLUSH_MS);

  const fatal = lastResort?.fatal.then(() => 'fatal' as const) ?? new Promise<never>(() => undefined);
  const signal = await Promise.race([signals.stopRequested, fatal]);
  logger.log('info', 'stopping', `${signal === 'fatal' ? 'internal error' : signal}: shutting down`);
  await proxy.reloader.settled();
  proxy.setPhase('draining');
  runtime.service?.stopping(`${signal}: draining`);
  // After a fatal state nothing is waited for: open flows are closed at once.
  const cut = await drain(
    proxy.drainable(),
    proxy.drainTimeoutMs(),
    logger,
    () => signals.forced || signal === 'fatal',
    runtime.service,
  );
  const totals = proxy.totals(cut);
  await stats.close();
  proxy.close();
  await collectLateEvents(eventLog);
  signals.dispose();
  clearInterval(flushTimer);
  eventLog.flushSuppressed(Infinity);
  runtime.service?.close();
  lastResort?.dispose();
  logger.log('info', 'stopped', 'all connections closed', totals);
  return signal === 'fatal' ? EXIT_INTERNAL_ERRORS : EXIT_STOPPED;
}

export async function runProxy(
  options: ProxyOptions,
  subnets: SubnetList | null,
  runtime: ProxyRuntime,
): Promise<number> {
  const { logger } = runtime;
  const config = toDataPlaneConfig(options, subnets?.subnets ?? []);
  for (const note of subnets?.notes ?? []) logger.log('warn', 'allowed_subnets', note);

  const plane = startDataPlane(config, runtime);
  if (!plane) return EXIT_START_FAILED;
  const lastResort = runtime.uncaught ? new LastResort(runtime.uncaught, logger, () => planeAnswers(plane)) : null;
  // Before the 'listening' line, so that line means `mmproxy top` can connect too.
  let phase: ServingPhase = 'starting';
  const source = statsSourceFor(
    plane,
    config,
    Date.now(),
    () => lastResort?.errors ?? 0,
    () => healthOf(plane, phase, config),
  );
  const stats = await startProxyStats(options, source, (message) => logger.log('warn', 'stats', message)).catch(
    (error: Error) => {
      plane.close();
      lastResort?.dispose();
      logger.log('error', 'start_failed', error.message);
      return null;
    },
  );
  if (!stats) return EXIT_START_FAILED;
  // Handlers first: whoever reads the 'listening' line may signal at once, and
  // a SIGTERM before process.on('SIGTERM') would kill the process outright.
  const reloader = new SubnetReloader(
    plane,
    options.allowedSubnetsFile,
    runtime.loadSubnets,
    logger,
    config.allowedSubnets.length,
  );
  const signals = new ProxySignals(runtime.signals, () => reloader.request());
  const listening = describeConfig(config, options.allowedSubnetsFile);
  const exposure = anyPeerExposure(config, options.allowedSubnetsFile);
  if (exposure) logger.log('warn', 'any_peer', exposure);
  const fastPath = fastPathLine(config);
  if (fastPath) logger.log(fastPath.level, 'fast_path', fastPath.message);
  return serveUntilStopped({
    runtime,
    stats,
    signals,
    lastResort,
    reloader,
    summary: listening,
    answers: () => planeAnswers(plane),
    setPhase: (next) => (phase = next),
    drainable: () => plane,
    drainTimeoutMs: () => options.drainTimeoutMs,
    totals: (cut) => lifetimeTotals(plane, cut),
    close: () => plane.close(),
  });
}

function healthOf(plane: DataPlane, phase: ServingPhase, config: DataPlaneConfig): ProxyHealth {
  const live = planeAnswers(plane);
  const where = `${config.protocol} ${formatEndpoint(config.listen)}`;
  if (!live) return { live, ready: false, detail: `the data plane on ${where} does not answer` };
  const detail = {
    starting: `starting: ${where} is bound, the rest not yet`,
    serving: `serving ${where}`,
    draining: `draining: ${where} no longer accepts`,
  }[phase];
  return { live, ready: phase === 'serving', detail };
}

/** The watchdog's test: the event loop runs (the ping's timer fired) and the data plane answers. */
export function planeAnswers(plane: Pick<DataPlane, 'counters'>): boolean {
  try {
    plane.counters();
    return true;
  } catch {
    return false;
  }
}
