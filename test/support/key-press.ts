/** Key presses as ink reports them, for driving the view model without a terminal. */
import type { KeyFlags, KeyPress } from '../../src/tui/model/key-map.js';
import type { TopEvent } from '../../src/tui/model/top-state.js';

const NO_FLAGS: KeyFlags = {
  upArrow: false,
  downArrow: false,
  pageUp: false,
  pageDown: false,
  home: false,
  end: false,
  return: false,
  escape: false,
  backspace: false,
  delete: false,
  tab: false,
  ctrl: false,
  meta: false,
};

export function keyPress(input: string, flags: Partial<KeyFlags> = {}): KeyPress {
  return { input, key: { ...NO_FLAGS, ...flags } };
}

/** One 'key' event per character of `text`, or one for a named key. */
export function keys(text: string): TopEvent[] {
  return [...text].map((input) => ({ type: 'key', press: keyPress(input) }));
}

export function key(flag: keyof KeyFlags, input = ''): TopEvent {
  return { type: 'key', press: keyPress(input, { [flag]: true }) };
}
