/**
 * Everything `mmproxy top` shows is a function of one TopState: the feed's
 * data, the terminal's size and the user's choices. Every input is a
 * TopEvent, and top-reducer.ts is the only place a state becomes the next.
 */
import type { FeedState } from '../stats-feed.js';
import type { FlowOrder } from './flow-view.js';
import type { KeyPress } from './key-map.js';

export interface ScreenSize {
  readonly columns: number;
  /** UNBOUNDED_ROWS for `--once`, which prints every flow. */
  readonly rows: number;
}

export const UNBOUNDED_ROWS = Number.POSITIVE_INFINITY;

export interface TopState {
  /** What the screen shows: the feed's latest state, or the one held since the user paused. */
  readonly shown: FeedState;
  /** The feed's latest state, shown again on resume. */
  readonly latest: FeedState;
  readonly size: ScreenSize;
  readonly order: FlowOrder;
  readonly filter: string;
  /** The listener whose flows are shown (the `l` key, `--listener`); null: every listener's. */
  readonly listener: string | null;
  /** True while the user types a filter: keys are text, not commands. */
  readonly editingFilter: boolean;
  readonly paused: boolean;
  /** The key help covers the screen. */
  readonly help: boolean;
  /** First table row shown; never past the last page (the reducer keeps it so). */
  readonly scroll: number;
  readonly quit: boolean;
}

export type TopEvent =
  | { readonly type: 'key'; readonly press: KeyPress }
  | { readonly type: 'feed'; readonly feed: FeedState }
  | { readonly type: 'resize'; readonly size: ScreenSize };

export function initialTopState(feed: FeedState, size: ScreenSize, listener: string | null = null): TopState {
  return {
    shown: feed,
    latest: feed,
    size,
    order: { key: 'rate', reversed: false },
    filter: '',
    listener,
    editingFilter: false,
    paused: false,
    help: false,
    scroll: 0,
    quit: false,
  };
}
