/**
 * The listeners of the proxy `mmproxy top` watches (issue 17): which there are, the one the user picked
 * (the `l` key, `--listener NAME`), and the line above each listener's flows. A proxy with one listener (or
 * from before listeners) shows none of this: its screen is the one it always was.
 */
import type { FlowSnapshot, ListenerSnapshot, StatsSnapshot } from '../../stats/schema.js';
import { endpointCell, fit, formatRate } from './format.js';

/** The snapshot's listeners by name, in the proxy's order; none from a proxy built before them. */
export function listenerNames(snapshot: StatsSnapshot | null): string[] {
  return snapshot?.listeners?.map(({ name }) => name) ?? [];
}

/** Flows are grouped, and a listener can be picked, only when there is more than one. */
export function severalListeners(snapshot: StatsSnapshot | null): boolean {
  return listenerNames(snapshot).length > 1;
}

/** All of them (null), then each in turn, then all again; a listener a reload removed goes back to all. */
export function nextListener(current: string | null, names: readonly string[]): string | null {
  if (names.length === 0) return null;
  if (current === null) return names[0]!;
  const index = names.indexOf(current);
  return index < 0 || index === names.length - 1 ? null : names[index + 1]!;
}

/** Why `--listener NAME` cannot be shown from this snapshot, or null when it can. */
export function unknownListener(snapshot: StatsSnapshot, name: string): string | null {
  const names = listenerNames(snapshot);
  if (names.includes(name)) return null;
  if (names.length === 0) {
    return `--listener ${name}: this proxy does not report its listeners by name (it is older than this mmproxy top)`;
  }
  return `--listener ${name}: the proxy has no listener of that name; its listeners: ${names.join(', ')}`;
}

/** The flows of the picked listener, or all. */
export function flowsOfListener(flows: readonly FlowSnapshot[], listener: string | null): readonly FlowSnapshot[] {
  return listener === null ? flows : flows.filter((flow) => flow.listener === listener);
}

/**
 * The listeners that get a line above their flows: none with one listener; else the picked one or all, and
 * while a text filter is on, only those with a flow it lets through.
 */
export function shownGroups(
  snapshot: StatsSnapshot,
  listener: string | null,
  filtering: boolean,
  matching: readonly FlowSnapshot[],
): readonly ListenerSnapshot[] {
  if (!severalListeners(snapshot)) return [];
  const withFlows = new Set(matching.map((flow) => flow.listener));
  return snapshot.listeners!.filter(
    ({ name }) => (listener === null || name === listener) && (!filtering || withFlows.has(name)),
  );
}

function listenText(listener: ListenerSnapshot): string {
  const first = endpointCell(listener.listen);
  return listener.lastPort > listener.listen.port ? `${first}-${listener.lastPort}` : first;
}

/**
 * "web · tcp 0.0.0.0:8443-8450 · 3 active · 1.2K/s · 2 failed", and "· draining" while it drains; where that
 * is wider than `width`, the address goes first so the counters stay.
 */
export function groupLine(listener: ListenerSnapshot, width: number): string {
  const { counters } = listener;
  const failed = Object.values(counters.failures).reduce((sum, count) => sum + count, 0);
  const numbers = [
    `${counters.active} active`,
    formatRate(counters.rate.toTarget + counters.rate.toClient),
    `${failed} failed`,
    ...(listener.state === 'draining' ? ['draining'] : []),
  ];
  const full = [listener.name, `${listener.protocol} ${listenText(listener)}`, ...numbers].join(' · ');
  return full.length <= width ? full : fit([listener.name, ...numbers].join(' · '), width);
}
