/**
 * `mmproxy --config FILE`: every listener of the file in one process (one data plane per port), reloaded
 * live on SIGHUP (./config-reload.ts), and on SIGTERM/SIGINT drained and closed together, as one command
 * line's proxy is (./run.ts). Start-up is all or nothing: a listener that cannot bind stops the start, with
 * everything already bound closed.
 */
import { describeListeners } from '../config/check-config.js';
import type { NamedListener, ProcessOptions } from '../config/proxy-config.js';
import type { RunnableConfig } from '../config/runnable-config.js';
import type { WorkerPool } from '../native/dataplane-types.js';
import { startProxyStats } from '../stats/proxy-stats.js';
import { statsSourceFor, type ProxyHealth, type StatsSource } from '../stats/source.js';
import { ConfigReloader } from './config-reload.js';
import { lifetimeTotals } from './drain.js';
import { LastResort } from './last-resort.js';
import { logListening } from './listener-lines.js';
import { ListenerSet, ListenerStartError } from './listener-set.js';
import type { ProxyLogger } from './log/logger.js';
import { plural } from './log/plural.js';
import { EXIT_START_FAILED, serveUntilStopped, type ProxyRuntime, type ServingPhase } from './run.js';
import { ProxySignals } from './signals.js';

export interface ConfigRuntime extends Omit<ProxyRuntime, 'loadSubnets' | 'logger'> {
  logger: ProxyLogger;
  /** Reads the file again on SIGHUP, as at start. */
  loadConfig(file: string): Promise<RunnableConfig>;
  /** Threads for every plane; null (or absent) where the addon has no WorkerPool: each plane has its own. */
  createPool?: (threads: number) => WorkerPool | null;
}

/** Starts every listener, or none: false (after logging which listener and port failed) when one cannot bind. */
function startAll(set: ListenerSet, loaded: RunnableConfig, runtime: ConfigRuntime): boolean {
  for (const listener of loaded.config.listeners) {
    try {
      set.start(listener, loaded.subnets.get(listener.name) ?? [], loaded.config.process);
    } catch (error) {
      if (!(error instanceof ListenerStartError)) throw error;
      runtime.logger.log('error', 'start_failed', error.message, { listener: listener.name });
      set.closeAll();
      return false;
    }
  }
  return true;
}

function healthOf(set: ListenerSet, phase: ServingPhase): ProxyHealth {
  const live = set.answers();
  const listeners = set.listenerStats();
  const serving = listeners.filter((listener) => listener.state === 'serving').map((listener) => listener.name);
  const draining = listeners.filter((listener) => listener.state === 'draining').map((listener) => listener.name);
  if (!live) return { live, ready: false, detail: 'a data plane does not answer' };
  const named = `${plural(serving.length, 'listener')} (${serving.join(', ')})`;
  const detail = {
    starting: 'starting: the listeners are bound, the rest not yet',
    serving: `serving ${named}${draining.length > 0 ? `; draining ${draining.join(', ')}` : ''}`,
    draining: `draining: ${named} no longer accept`,
  }[phase];
  return { live, ready: phase === 'serving', detail };
}

/**
 * The first listener stands for the process in the summary, as a command line's one listener does; the
 * counters are every listener's, removed ones included, so that totals never go back.
 */
function statsSource(
  set: ListenerSet,
  first: NamedListener,
  internalErrors: () => number,
  health: () => ProxyHealth,
): StatsSource {
  const base = statsSourceFor(
    { counters: () => set.lifetimeCounters(), flows: () => set.open().flows() },
    set.firstConfig(first.name)!,
    Date.now(),
    internalErrors,
    health,
  );
  return { ...base, listeners: () => set.listenerStats() };
}

export async function runConfig(loaded: RunnableConfig, runtime: ConfigRuntime): Promise<number> {
  const { logger, eventLog } = runtime;
  const file = loaded.config.file ?? '';
  let process: ProcessOptions = loaded.config.process;
  for (const note of loaded.notes) logger.log('warn', 'allowed_subnets', note);
  const pool = runtime.createPool?.(process.listeners) ?? null;
  const set = new ListenerSet({
    create: runtime.createDataPlane,
    pool,
    onEvents: (name) => (events) => eventLog.handle(events, { listener: name }),
    onGone: (name, counters, cut) =>
      logger.log('info', 'listener_gone', `listener ${name}: its last flow ended; closed`, {
        listener: name,
        ...lifetimeTotals({ counters: () => counters }, cut, 'cut_at_reload'),
      }),
  });
  if (!startAll(set, loaded, runtime)) {
    pool?.close();
    return EXIT_START_FAILED;
  }
  const lastResort = runtime.uncaught ? new LastResort(runtime.uncaught, logger, () => set.answers()) : null;
  let phase: ServingPhase = 'starting';
  const source = statsSource(
    set,
    loaded.config.listeners[0]!,
    () => lastResort?.errors ?? 0,
    () => healthOf(set, phase),
  );
  const stats = await startProxyStats(process, source, (message) => logger.log('warn', 'stats', message)).catch(
    (error: Error) => {
      set.closeAll();
      pool?.close();
      lastResort?.dispose();
      logger.log('error', 'start_failed', error.message);
      return null;
    },
  );
  if (!stats) return EXIT_START_FAILED;
  const reloader = new ConfigReloader({
    file,
    load: (path) => runtime.loadConfig(path),
    set,
    logger,
    process: () => process,
    applyProcess: (next) => {
      process = next;
      logger.setFormat(next.logFormat);
      eventLog.setVerbosity(next.verbosity);
    },
  });
  // Handlers first: whoever reads the 'listening' lines may signal at once.
  const signals = new ProxySignals(runtime.signals, () => reloader.request());
  for (const listener of loaded.config.listeners) logListening(listener, set, logger, file);
  const threads = loaded.config.process.listeners;
  const summary = `${describeListeners(loaded.config)} from ${file}, served by ${threads} worker thread${threads === 1 ? '' : 's'}`;
  return serveUntilStopped({
    runtime,
    stats,
    signals,
    lastResort,
    reloader,
    summary,
    answers: () => set.answers(),
    setPhase: (next) => (phase = next),
    // Every open plane, those a reload took off included: a stop during a reload's drain still drains them.
    drainable: () => set.open(),
    drainTimeoutMs: () => process.drainTimeoutMs,
    // They add up: accepted = completed + failed_* + cut_at_shutdown + cut_at_reload (flows a reload's drain cut).
    totals: (cut) => {
      const reloadCut = set.cutAtReload();
      return {
        ...lifetimeTotals({ counters: () => set.lifetimeCounters() }, cut),
        ...(reloadCut > 0 ? { cut_at_reload: reloadCut } : {}),
      };
    },
    close: () => {
      set.closeAll();
      pool?.close();
    },
  });
}
