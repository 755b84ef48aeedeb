/**
 * Reading a line from the stats socket: a snapshot of the version this
 * build understands whose proxy part and failure counters passed
 * ./validate-snapshot.ts, or the server's error, or a protocol error.
 */
import { StatsClientError } from './client-errors.js';
import { isErrorReply } from './protocol.js';
import { SNAPSHOT_VERSION, type StatsSnapshot } from './schema.js';
import { validateSnapshotFields } from './validate-snapshot.js';

export function parseSnapshotLine(line: string): StatsSnapshot {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new StatsClientError(
      'protocol',
      'the stats socket sent something that is not JSON; is it an mmproxy socket?',
    );
  }
  if (isErrorReply(value)) {
    throw new StatsClientError('server', `the proxy refused: ${value.error.message} (${value.error.code})`);
  }
  const candidate = value as Partial<StatsSnapshot> | null;
  if (typeof candidate !== 'object' || candidate === null || candidate.version !== SNAPSHOT_VERSION) {
    const version = candidate && typeof candidate === 'object' ? String(candidate.version) : 'none';
    throw new StatsClientError(
      'protocol',
      `the proxy speaks stats version ${version}; this mmproxy top reads version ${SNAPSHOT_VERSION} (use the same mmproxy release for both)`,
    );
  }
  if (!candidate.proxy || !candidate.counters || !candidate.recent || !Array.isArray(candidate.flows)) {
    throw new StatsClientError(
      'protocol',
      'the stats snapshot is incomplete (missing proxy, counters, recent or flows)',
    );
  }
  // Only checked fields reach the caller's `proxy` and `listeners`: nothing else of them survives.
  const { proxy, listeners } = validateSnapshotFields(candidate);
  const { listeners: _unchecked, ...rest } = candidate as StatsSnapshot;
  return { ...rest, proxy, ...(listeners ? { listeners } : {}) };
}
