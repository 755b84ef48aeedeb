/**
 * What a reload of the config file does, worked out before anything is touched: listeners matched by name
 * are added, removed, changed or left alone; a changed one keeps the listening sockets of the ports its old
 * and new settings share, drains the ports it gives up and binds the ones it gains. Pure: old and new
 * settings in, a plan out.
 */
import { formatEndpoint, type Endpoint } from '../base/net/endpoint.js';
import { spanEndpoints } from '../base/net/port-span.js';
import type { NamedListener } from '../config/proxy-config.js';

export interface ListenerChange {
  before: NamedListener;
  after: NamedListener;
  /** Ports both have, same protocol and address: the new plane takes the old one's listening socket. */
  adopt: Endpoint[];
  /** Ports only the old settings have: they stop accepting and drain. */
  drain: Endpoint[];
  /** Ports only the new settings have: bound afresh. */
  bind: Endpoint[];
}

export interface ReloadPlan {
  added: NamedListener[];
  removed: NamedListener[];
  changed: ListenerChange[];
  unchanged: NamedListener[];
}

/** Object keys sorted at every depth, so that two equal settings give one text whatever their key order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner !== null && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  );
}

/** Equal settings, compared on the checked options (a port written "08443" and "8443" are one). */
export function sameSettings(a: NamedListener, b: NamedListener): boolean {
  return canonical(a) === canonical(b);
}

/** A listening socket a new plane may take over: same protocol and the very same address and port. */
function portsOf(listener: NamedListener): Map<string, Endpoint> {
  return new Map(spanEndpoints(listener.listen).map((endpoint) => [formatEndpoint(endpoint), endpoint]));
}

export function planListenerChange(before: NamedListener, after: NamedListener): ListenerChange {
  const old = portsOf(before);
  const next = portsOf(after);
  const shareable = before.protocol === after.protocol;
  const adopt = shareable ? [...next].filter(([key]) => old.has(key)).map(([, endpoint]) => endpoint) : [];
  const kept = new Set(adopt.map(formatEndpoint));
  return {
    before,
    after,
    adopt,
    drain: [...old].filter(([key]) => !kept.has(key)).map(([, endpoint]) => endpoint),
    bind: [...next].filter(([key]) => !kept.has(key)).map(([, endpoint]) => endpoint),
  };
}

/** Listeners in file order: the new file's for added, changed and unchanged, the old one's for removed. */
export function planReload(running: readonly NamedListener[], wanted: readonly NamedListener[]): ReloadPlan {
  const before = new Map(running.map((listener) => [listener.name, listener]));
  const after = new Set(wanted.map((listener) => listener.name));
  const plan: ReloadPlan = { added: [], removed: [], changed: [], unchanged: [] };
  for (const listener of wanted) {
    const old = before.get(listener.name);
    if (!old) plan.added.push(listener);
    else if (sameSettings(old, listener)) plan.unchanged.push(listener);
    else plan.changed.push(planListenerChange(old, listener));
  }
  plan.removed = running.filter((listener) => !after.has(listener.name));
  return plan;
}
