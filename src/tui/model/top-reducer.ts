/**
 * The one place TopState changes: key presses (read in the mode the state
 * is in, so keys typed faster than a render still mean the right thing),
 * the feed's states and terminal resizes. After every event the scroll is
 * put back within the table's limits, which are known here because the
 * viewport is a function of the state. An event that changes nothing returns
 * the same state, so React skips the render.
 */
import { nextSortKey } from './flow-view.js';
import { commandForKey, type KeyMode, type TopCommand } from './key-map.js';
import { listenerNames, nextListener, severalListeners } from './listeners.js';
import type { TopEvent, TopState } from './top-state.js';
import { viewport } from './viewport.js';

export function keyMode(state: TopState): KeyMode {
  if (state.help) return 'help';
  return state.editingFilter ? 'filter' : 'browse';
}

function apply(state: TopState, command: TopCommand): TopState {
  switch (command.type) {
    case 'quit':
      return { ...state, quit: true };
    case 'toggle-help':
      return { ...state, help: !state.help };
    case 'next-sort':
      return { ...state, order: { key: nextSortKey(state.order.key), reversed: false }, scroll: 0 };
    case 'reverse-sort':
      return { ...state, order: { ...state.order, reversed: !state.order.reversed }, scroll: 0 };
    case 'toggle-pause':
      return state.paused ? { ...state, paused: false, shown: state.latest } : { ...state, paused: true };
    case 'start-filter':
      return { ...state, editingFilter: true };
    case 'type-filter':
      return { ...state, filter: state.filter + command.text, scroll: 0 };
    case 'erase-filter':
      return state.filter === '' ? state : { ...state, filter: state.filter.slice(0, -1), scroll: 0 };
    case 'keep-filter':
      return { ...state, editingFilter: false };
    case 'clear-filter':
      return state.filter === '' && !state.editingFilter
        ? state
        : { ...state, editingFilter: false, filter: '', scroll: 0 };
    case 'next-listener': {
      const { snapshot } = state.shown;
      if (!severalListeners(snapshot) && state.listener === null) return state;
      return { ...state, listener: nextListener(state.listener, listenerNames(snapshot)), scroll: 0 };
    }
    case 'scroll': {
      const pageRows = viewport(state)?.tableRows ?? 1;
      return { ...state, scroll: Math.max(0, state.scroll + command.rows + command.pages * pageRows) };
    }
    case 'scroll-to':
      return { ...state, scroll: command.end === 'first' ? 0 : Number.MAX_SAFE_INTEGER };
  }
}

/** Holds the scroll to the last page, which moves with flows, filters and the terminal's height. */
function withinLimits(state: TopState): TopState {
  const maxScroll = viewport(state)?.maxScroll ?? 0;
  return state.scroll <= maxScroll ? state : { ...state, scroll: maxScroll };
}

function changed(state: TopState, event: TopEvent): TopState {
  switch (event.type) {
    case 'key': {
      const command = commandForKey(event.press, keyMode(state));
      return command ? apply(state, command) : state;
    }
    case 'feed':
      if (event.feed === state.latest) return state;
      return { ...state, latest: event.feed, shown: state.paused ? state.shown : event.feed };
    case 'resize':
      if (event.size.columns === state.size.columns && event.size.rows === state.size.rows) return state;
      return { ...state, size: event.size };
  }
}

export function reduceTop(state: TopState, event: TopEvent): TopState {
  const next = changed(state, event);
  return next === state ? state : withinLimits(next);
}
