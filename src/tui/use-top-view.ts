/**
 * The view model of the interactive `mmproxy top`: one reducer over every
 * input (key presses, the feed's states, terminal resizes) and the frame
 * that is a pure function of its state. Pause, scroll and the choices live
 * in that state, nowhere else.
 */
import { useEffect, useMemo, useReducer } from 'react';

import { topFrame, type TopFrame } from './model/top-frame.js';
import { reduceTop } from './model/top-reducer.js';
import { initialTopState } from './model/top-state.js';
import type { StatsFeed } from './stats-feed.js';
import type { TerminalSize } from './terminal-size.js';
import { useTopKeys } from './use-top-keys.js';

export function useTopView(
  feed: StatsFeed,
  terminal: TerminalSize,
  onQuit: () => void,
  listener: string | null = null,
): TopFrame {
  const [state, dispatch] = useReducer(reduceTop, undefined, () =>
    initialTopState(feed.getState(), terminal.get(), listener),
  );
  useEffect(() => {
    const onChange = (): void => dispatch({ type: 'feed', feed: feed.getState() });
    const unsubscribe = feed.subscribe(onChange);
    // A state the feed reached between the first render and this subscription.
    onChange();
    return unsubscribe;
  }, [feed]);
  useEffect(() => {
    const onResize = (): void => dispatch({ type: 'resize', size: terminal.get() });
    const unsubscribe = terminal.subscribe(onResize);
    onResize();
    return unsubscribe;
  }, [terminal]);
  useTopKeys(dispatch);
  const { quit } = state;
  useEffect(() => {
    if (quit) onQuit();
  }, [quit, onQuit]);
  return useMemo(() => topFrame(state), [state]);
}
