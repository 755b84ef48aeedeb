/**
 * A StatsFeed the test drives by hand: push() a new state and the view
 * follows, exactly as it would follow the socket subscription.
 */
import { INITIAL_FEED_STATE, deepFreeze, type FeedState, type StatsFeed } from '../../src/tui/stats-feed.js';

export interface FakeFeed extends StatsFeed {
  push(state: Partial<FeedState>): void;
  listenerCount(): number;
}

export function fakeFeed(initial: Partial<FeedState> = {}): FakeFeed {
  let state: FeedState = deepFreeze({ ...INITIAL_FEED_STATE, ...initial });
  const listeners = new Set<() => void>();
  return {
    getState: () => state,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close: () => listeners.clear(),
    push(next) {
      state = deepFreeze({ ...state, ...next });
      for (const listener of listeners) listener();
    },
    listenerCount: () => listeners.size,
  };
}
