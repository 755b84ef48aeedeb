/**
 * The keys of `mmproxy top`, written down once: which press means which
 * command in each mode, and the help text the `?` screen and the footer
 * show for them.
 */
import { SORT_KEYS, SORT_MARKS } from './flow-view.js';

/** The parts of ink's Key that top reads; ink's Key fits it. */
export interface KeyFlags {
  readonly upArrow: boolean;
  readonly downArrow: boolean;
  readonly pageUp: boolean;
  readonly pageDown: boolean;
  readonly home: boolean;
  readonly end: boolean;
  readonly return: boolean;
  readonly escape: boolean;
  readonly backspace: boolean;
  readonly delete: boolean;
  readonly tab: boolean;
  readonly ctrl: boolean;
  readonly meta: boolean;
}

export interface KeyPress {
  /** The character(s) typed; a paste arrives as one press. Empty for arrows and the like. */
  readonly input: string;
  readonly key: KeyFlags;
}

export type TopCommand =
  | { readonly type: 'quit' }
  | { readonly type: 'toggle-help' }
  | { readonly type: 'next-sort' }
  | { readonly type: 'reverse-sort' }
  | { readonly type: 'toggle-pause' }
  | { readonly type: 'start-filter' }
  | { readonly type: 'type-filter'; readonly text: string }
  | { readonly type: 'erase-filter' }
  | { readonly type: 'keep-filter' }
  | { readonly type: 'clear-filter' }
  | { readonly type: 'next-listener' }
  /** Rows, pages (a page is the rows the table shows), or to either end. */
  | { readonly type: 'scroll'; readonly rows: number; readonly pages: number }
  | { readonly type: 'scroll-to'; readonly end: 'first' | 'last' };

/** browse: keys are commands; filter: the user types a filter; help: the key help covers the screen. */
export type KeyMode = 'browse' | 'filter' | 'help';

interface Binding {
  /** As the help and the footer print the key. */
  readonly keys: string;
  readonly does: string;
  matches(press: KeyPress): boolean;
  command(press: KeyPress): TopCommand;
}

const typed =
  (...inputs: string[]) =>
  (press: KeyPress): boolean =>
    !press.key.ctrl && !press.key.meta && inputs.includes(press.input);

const command = (value: TopCommand) => (): TopCommand => value;

export const QUIT_KEY = 'q';
export const HELP_KEY = '?';
export const SORT_KEY = 's';
export const PAUSE_KEY = 'p';
export const FILTER_KEY = '/';
export const LISTENER_KEY = 'l';
export const SCROLL_KEYS = '↑↓';

const SCROLLING: readonly Binding[] = [
  {
    keys: SCROLL_KEYS,
    does: 'scroll a row',
    matches: ({ key }) => key.upArrow || key.downArrow,
    command: ({ key }) => ({ type: 'scroll', rows: key.upArrow ? -1 : 1, pages: 0 }),
  },
  {
    keys: 'PgUp PgDn',
    does: 'scroll a page',
    matches: ({ key }) => key.pageUp || key.pageDown,
    command: ({ key }) => ({ type: 'scroll', rows: 0, pages: key.pageUp ? -1 : 1 }),
  },
  {
    keys: 'Home End',
    does: 'first / last flow',
    matches: ({ key }) => key.home || key.end,
    command: ({ key }) => ({ type: 'scroll-to', end: key.home ? 'first' : 'last' }),
  },
];

const BROWSING: readonly Binding[] = [
  { keys: QUIT_KEY, does: 'quit', matches: typed(QUIT_KEY), command: command({ type: 'quit' }) },
  { keys: HELP_KEY, does: 'this help', matches: typed(HELP_KEY), command: command({ type: 'toggle-help' }) },
  {
    keys: SORT_KEY,
    does: `sort by the next of ${SORT_KEYS.join(', ')}`,
    matches: typed(SORT_KEY),
    command: command({ type: 'next-sort' }),
  },
  {
    keys: 'r S',
    does: `reverse the sort (${SORT_MARKS.ascending} ascending, ${SORT_MARKS.descending} descending)`,
    matches: typed('r', 'S'),
    command: command({ type: 'reverse-sort' }),
  },
  {
    keys: PAUSE_KEY,
    does: 'pause the screen (the proxy carries on) or resume',
    matches: typed(PAUSE_KEY),
    command: command({ type: 'toggle-pause' }),
  },
  {
    keys: FILTER_KEY,
    does: 'filter by address or state: Enter keeps it, Esc clears it',
    matches: typed(FILTER_KEY),
    command: command({ type: 'start-filter' }),
  },
  {
    keys: 'Esc',
    does: 'clear the filter',
    matches: ({ key }) => key.escape,
    command: command({ type: 'clear-filter' }),
  },
  {
    keys: LISTENER_KEY,
    does: "show the next listener's flows, then every listener's (with more than one listener)",
    matches: typed(LISTENER_KEY),
    command: command({ type: 'next-listener' }),
  },
  ...SCROLLING,
];

const FILTERING: readonly Binding[] = [
  ...SCROLLING,
  {
    keys: 'Enter',
    does: 'keep the filter',
    matches: ({ key }) => key.return,
    command: command({ type: 'keep-filter' }),
  },
  {
    keys: 'Esc',
    does: 'clear the filter',
    matches: ({ key }) => key.escape,
    command: command({ type: 'clear-filter' }),
  },
  {
    keys: 'Backspace',
    does: 'erase a character',
    matches: ({ key }) => key.backspace || key.delete,
    command: command({ type: 'erase-filter' }),
  },
  {
    keys: 'text',
    does: 'the filter',
    matches: ({ input, key }) => input !== '' && !key.ctrl && !key.meta && !key.tab,
    command: ({ input }) => ({ type: 'type-filter', text: input }),
  },
];

const HELPING: readonly Binding[] = [
  { keys: QUIT_KEY, does: 'quit', matches: typed(QUIT_KEY), command: command({ type: 'quit' }) },
  {
    keys: `${HELP_KEY} Esc Enter`,
    does: 'close the help',
    matches: (press) => typed(HELP_KEY)(press) || press.key.escape || press.key.return,
    command: command({ type: 'toggle-help' }),
  },
];

const BINDINGS: Record<KeyMode, readonly Binding[]> = { browse: BROWSING, filter: FILTERING, help: HELPING };

/** The command a press means in this mode, or null when it means nothing there. */
export function commandForKey(press: KeyPress, mode: KeyMode): TopCommand | null {
  const binding = BINDINGS[mode].find((candidate) => candidate.matches(press));
  return binding ? binding.command(press) : null;
}

export interface KeyHelp {
  readonly keys: string;
  readonly does: string;
}

/** What the `?` screen lists: every key of the main screen; the listener key only where there is a choice. */
export function keyHelp(severalListeners: boolean): readonly KeyHelp[] {
  return BROWSING.filter(({ keys }) => severalListeners || keys !== LISTENER_KEY).map(({ keys, does }) => ({
    keys,
    does,
  }));
}
