/**
 * The keys of `mmproxy top`, apart from rendering: a pure reducer over what
 * the user chose (sort, pause, filter, scroll) and a hook that feeds it
 * ink's key presses.
 *   q quit · s cycle sort · p pause · / filter (Enter keeps, Esc clears) · ↑↓ PgUp PgDn scroll
 */
import { useInput, type Key } from 'ink';
import { useEffect, useReducer, type RefObject } from 'react';

import { nextSortKey, type SortKey } from './model/flow-view.js';

export interface TopKeysState {
  readonly sort: SortKey;
  readonly paused: boolean;
  readonly filter: string;
  /** True while the user is typing a filter: keys are text, not commands. */
  readonly editingFilter: boolean;
  /** First table row shown. */
  readonly scroll: number;
  readonly quit: boolean;
}

export const INITIAL_KEYS: TopKeysState = {
  sort: 'rate',
  paused: false,
  filter: '',
  editingFilter: false,
  scroll: 0,
  quit: false,
};

export type TopKeyAction =
  | { type: 'cycle-sort' }
  | { type: 'toggle-pause' }
  | { type: 'start-filter' }
  | { type: 'filter-text'; text: string }
  | { type: 'filter-backspace' }
  | { type: 'filter-done' }
  | { type: 'filter-cancel' }
  | { type: 'scroll'; by: number; maxScroll: number }
  | { type: 'quit' };

export function topKeysReducer(state: TopKeysState, action: TopKeyAction): TopKeysState {
  switch (action.type) {
    case 'cycle-sort':
      return { ...state, sort: nextSortKey(state.sort), scroll: 0 };
    case 'toggle-pause':
      return { ...state, paused: !state.paused };
    case 'start-filter':
      return { ...state, editingFilter: true };
    case 'filter-text':
      return { ...state, filter: state.filter + action.text, scroll: 0 };
    case 'filter-backspace':
      return { ...state, filter: state.filter.slice(0, -1), scroll: 0 };
    case 'filter-done':
      return { ...state, editingFilter: false };
    case 'filter-cancel':
      return { ...state, editingFilter: false, filter: '', scroll: 0 };
    case 'scroll':
      return { ...state, scroll: Math.max(0, Math.min(action.maxScroll, state.scroll + action.by)) };
    case 'quit':
      return { ...state, quit: true };
  }
}

/** Maps one key press to an action, or null when the key means nothing here. */
export function actionForKey(
  input: string,
  key: Pick<
    Key,
    'upArrow' | 'downArrow' | 'pageUp' | 'pageDown' | 'return' | 'escape' | 'backspace' | 'delete' | 'ctrl' | 'meta'
  >,
  state: TopKeysState,
  view: { maxScroll: number; pageRows: number },
): TopKeyAction | null {
  const { maxScroll, pageRows } = view;
  if (key.upArrow) return { type: 'scroll', by: -1, maxScroll };
  if (key.downArrow) return { type: 'scroll', by: 1, maxScroll };
  if (key.pageUp) return { type: 'scroll', by: -pageRows, maxScroll };
  if (key.pageDown) return { type: 'scroll', by: pageRows, maxScroll };
  if (state.editingFilter) {
    if (key.return) return { type: 'filter-done' };
    if (key.escape) return { type: 'filter-cancel' };
    if (key.backspace || key.delete) return { type: 'filter-backspace' };
    if (input && !key.ctrl && !key.meta) return { type: 'filter-text', text: input };
    return null;
  }
  if (key.escape && state.filter) return { type: 'filter-cancel' };
  switch (input) {
    case 'q':
      return { type: 'quit' };
    case 's':
      return { type: 'cycle-sort' };
    case 'p':
      return { type: 'toggle-pause' };
    case '/':
      return { type: 'start-filter' };
    default:
      return null;
  }
}

type KeyPress = { input: string; key: Key; view: { maxScroll: number; pageRows: number } };

/** Keys are interpreted against the latest state, even when several arrive before a render. */
function keyPressReducer(state: TopKeysState, press: KeyPress): TopKeysState {
  const action = actionForKey(press.input, press.key, state, press.view);
  return action ? topKeysReducer(state, action) : state;
}

/** `view` is a ref because the scroll limits are known only after this render's layout. */
export function useTopKeys(options: {
  onQuit(): void;
  view: RefObject<{ maxScroll: number; pageRows: number }>;
}): TopKeysState {
  const [state, dispatch] = useReducer(keyPressReducer, INITIAL_KEYS);
  useInput((input, key) => dispatch({ input, key, view: options.view.current }));
  const { quit } = state;
  const { onQuit } = options;
  useEffect(() => {
    if (quit) onQuit();
  }, [quit, onQuit]);
  return state;
}
