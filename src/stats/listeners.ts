/**
 * A stats source's listeners one by one. Sources from before config files (a command line, recorded tests)
 * have no `listeners()`: they are one listener, named `default`, described by their summary. Every reader of
 * listeners (the snapshot, /metrics) goes through here, so that fallback is written once.
 */
import type { ListenerStats, StatsSource } from './source.js';

/** The name of the one listener a command line starts, as a config file would name it. */
export const DEFAULT_LISTENER_NAME = 'default';

export function sourceListeners(source: StatsSource): ListenerStats[] {
  if (source.listeners) return source.listeners();
  const { summary } = source;
  return [
    {
      name: DEFAULT_LISTENER_NAME,
      protocol: summary.protocol,
      listen: summary.listen,
      lastPort: summary.listen.port,
      targets: summary.targets,
      config: summary.config,
      state: 'serving',
      counters: () => source.counters(),
      flows: () => source.flows(),
    },
  ];
}
