/**
 * Adapts a StatsFeed to React. While paused the screen keeps the state it
 * showed when the user paused; the feed itself keeps running.
 */
import { useRef, useSyncExternalStore } from 'react';

import type { FeedState, StatsFeed } from './stats-feed.js';

export function useStats(feed: StatsFeed, paused: boolean): FeedState {
  const live = useSyncExternalStore(feed.subscribe, feed.getState);
  const shown = useRef(live);
  if (!paused) shown.current = live;
  return shown.current;
}
