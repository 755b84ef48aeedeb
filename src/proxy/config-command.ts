/**
 * `mmproxy --config FILE`: checks the command line (with a file, every setting is the file's: a flag beside
 * it is a UsageError naming it), reads the file as check-config does (its mistakes: a UsageError listing
 * them all, exit 2), then runs every listener (./run-config.ts) until a signal stops it.
 */
import { UsageError } from '../base/errors.js';
import { native } from '../native/addon.js';
import { givenProxyFlags, flagLabel, type RawProxyFlags } from '../config/proxy-flags.js';
import { fileKey } from '../config/settings.js';
import { configMistakes, loadRunnableConfig, type RunnableConfig } from '../config/runnable-config.js';
import { createDataPlane, createWorkerPool } from './dataplane.js';
import { proxySignalSource } from './early-signals.js';
import { missingPrivilege } from './privilege.js';
import { createProcessLog, createProcessService } from './process-runtime.js';
import { EXIT_START_FAILED } from './run.js';
import { runConfig } from './run-config.js';
import { udpTargetWarnings } from './udp-target.js';

/** A flag beside --config: refused, since the file holds every setting (one rule for all of them). */
export function flagsBesideConfig(raw: RawProxyFlags): string | null {
  const given = givenProxyFlags(raw);
  if (given.length === 0) return null;
  const keys = given.map((flag) => `${fileKey(flag)} = …`).join(', ');
  return (
    `${given.map(flagLabel).join(', ')}: with --config every setting comes from the file; ` +
    `put ${given.length === 1 ? 'it' : 'them'} there (${keys}: process settings at the top, ` +
    "a listener's in [defaults] or its [[listener]] table), or run without --config"
  );
}

/** Go's flag package keeps the last of repeated flags; yargs collects them in an array. */
function lastOf(value: string | string[]): string {
  return Array.isArray(value) ? value[value.length - 1]! : value;
}

async function loadForStart(file: string): Promise<RunnableConfig> {
  try {
    return await loadRunnableConfig(file);
  } catch (error) {
    const mistakes = configMistakes(file, error);
    if (mistakes) throw new UsageError(mistakes.join('\n'));
    throw error;
  }
}

export async function runConfigCommand(config: string | string[], raw: RawProxyFlags): Promise<number> {
  const refusal = flagsBesideConfig(raw);
  if (refusal) throw new UsageError(refusal);
  const loaded = await loadForStart(lastOf(config));
  const { logger, eventLog } = createProcessLog(loaded.config.process);
  const marks = new Set(loaded.config.listeners.map((listener) => listener.mark));
  for (const mark of marks) {
    const denied = missingPrivilege((probe) => native().probeSocketOption(probe), mark);
    if (denied) {
      logger.log('error', 'start_failed', denied);
      return EXIT_START_FAILED;
    }
  }
  for (const listener of loaded.config.listeners) {
    if (listener.protocol !== 'udp' || listener.dynamicDestination) continue;
    const targets = [listener.target4, listener.target6].filter((target) => target !== null);
    for (const warning of await udpTargetWarnings(targets)) {
      logger.log('warn', 'udp_target', warning, { listener: listener.name });
    }
  }
  return runConfig(loaded, {
    createDataPlane,
    createPool: createWorkerPool,
    loadConfig: loadRunnableConfig,
    logger,
    eventLog,
    // Held since bin/mmproxy.js started: a signal sent while starting is delivered once the proxy listens.
    signals: proxySignalSource(),
    uncaught: process,
    service: createProcessService(logger),
  });
}
