/**
 * The process settings of a reloaded config file: the log's verbosity and format and the drain timeout apply
 * at once; the worker threads, the stats socket and the metrics endpoint were set up at start and keep their
 * running value until a restart, which the reload says.
 */
import type { ProcessOptions } from '../config/proxy-config.js';
import { fileKey } from '../config/settings.js';

/** Settings a reload cannot change: threads are shared by every plane, the endpoints are bound once. */
const NEEDS_RESTART = [
  'listeners',
  'statsSocket',
  'metricsListen',
] as const satisfies readonly (keyof ProcessOptions)[];

const FILE_KEYS: Record<(typeof NEEDS_RESTART)[number], string> = {
  listeners: fileKey('listeners'),
  statsSocket: fileKey('stats-socket'),
  metricsListen: fileKey('metrics-listen'),
};

export interface ProcessReload {
  /** What runs from now on: the file's settings, with the running value of each that needs a restart. */
  applied: ProcessOptions;
  /** One line per setting the file changed but a restart must apply. */
  needsRestart: string[];
}

function shown(value: string | number | null): string {
  return value === null ? 'unset' : String(value);
}

export function planProcessReload(running: ProcessOptions, wanted: ProcessOptions): ProcessReload {
  const applied = { ...wanted };
  const needsRestart: string[] = [];
  for (const key of NEEDS_RESTART) {
    if (running[key] === wanted[key]) continue;
    (applied as Record<typeof key, unknown>)[key] = running[key];
    needsRestart.push(
      `${FILE_KEYS[key]} changed from ${shown(running[key])} to ${shown(wanted[key])}: ` +
        `that needs a restart; still ${shown(running[key])}`,
    );
  }
  return { applied, needsRestart };
}
