/**
 * The TUI's data source, plain TypeScript: a stats subscription turned into
 * a sequence of immutable FeedStates (connection status, last snapshot, the
 * problem if any), read with getState() and followed with subscribe().
 */
import { subscribeStats, type SubscribeOptions, type Subscription } from '../stats/client.js';
import type { StatsClientErrorCode } from '../stats/client-errors.js';
import type { StatsSnapshot } from '../stats/schema.js';

export type ConnectionState = 'connecting' | 'live' | 'retrying';

export interface FeedProblem {
  readonly code: StatsClientErrorCode;
  readonly message: string;
  readonly attempt: number;
  readonly retryInMs: number;
}

export interface FeedState {
  readonly connection: ConnectionState;
  /** The last snapshot received; kept while reconnecting so the screen does not go blank. */
  readonly snapshot: StatsSnapshot | null;
  readonly problem: FeedProblem | null;
}

export interface StatsFeed {
  getState(): FeedState;
  /** Calls `listener` after every change; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void;
  close(): void;
}

export const INITIAL_FEED_STATE: FeedState = Object.freeze({ connection: 'connecting', snapshot: null, problem: null });

export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

export interface StatsFeedOptions {
  socketPath: SubscribeOptions['socketPath'];
  intervalMs: number;
  /** The subscription to adapt; the real client unless a test passes another. */
  subscribe?: (options: SubscribeOptions) => Subscription;
}

export function createStatsFeed(options: StatsFeedOptions): StatsFeed {
  const listeners = new Set<() => void>();
  let state = INITIAL_FEED_STATE;
  const update = (next: Partial<FeedState>): void => {
    state = deepFreeze({ ...state, ...next });
    for (const listener of listeners) listener();
  };
  const subscription = (options.subscribe ?? subscribeStats)({
    socketPath: options.socketPath,
    intervalMs: options.intervalMs,
    onSnapshot: (snapshot) => update({ connection: 'live', snapshot, problem: null }),
    onStatus: (status) => {
      if (status.state === 'retrying') {
        const { code, message } = status.error;
        update({
          connection: 'retrying',
          problem: { code, message, attempt: status.attempt, retryInMs: status.retryInMs },
        });
      }
    },
  });
  return {
    getState: () => state,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close() {
      listeners.clear();
      subscription.close();
    },
  };
}
