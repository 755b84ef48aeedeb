/**
 * The native TCP data plane behind its TypeScript contract. The control plane
 * builds a validated DataPlaneConfig and gets back an object whose threads
 * run until close().
 */
import { native } from '../native/addon.js';
import type { DataPlane, DataPlaneConfig, DataPlaneOptions, WorkerPool } from '../native/dataplane-types.js';
import { FAST_PATH_AFTER_READS, type DataPlaneEvent } from '../base/flows.js';
import type { LogLevel } from './log/record.js';

export function createDataPlane(
  config: DataPlaneConfig,
  onEvents: (events: DataPlaneEvent[]) => void,
  options?: DataPlaneOptions,
): DataPlane {
  // Today's addon takes two arguments: the options go across only when there are any.
  return options ? new (native().DataPlane)(config, onEvents, options) : new (native().DataPlane)(config, onEvents);
}

/**
 * Threads for every plane of a config file, when the addon has them; null with an addon from before
 * WorkerPool, where each plane runs threads of its own.
 */
export function createWorkerPool(threads: number): WorkerPool | null {
  const Pool = native().WorkerPool;
  return Pool ? new Pool(threads) : null;
}

/**
 * The start-up line for `--fast-path auto` (null for off, and for UDP): whether this process runs the in-kernel
 * fast path, and why not when it cannot. Asking loads it, once per process.
 */
export function fastPathLine(config: DataPlaneConfig): { level: LogLevel; message: string } | null {
  if (config.protocol !== 'tcp' || config.fastPath !== 'auto') return null;
  const status = native().fastPathStatus?.();
  if (!status) return { level: 'info', message: 'fast path: off (this build of the addon has none)' };
  if (!status.available) return { level: 'info', message: `fast path: off (${status.reason}); flows use the relay` };
  return {
    level: 'info',
    message:
      'fast path: on, experimental (a flow moves into a BPF sockhash once its relay has moved bytes ' +
      `${config.fastPathAfterReads ?? FAST_PATH_AFTER_READS} times; docs/proxy.md)`,
  };
}
