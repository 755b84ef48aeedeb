import assert from 'node:assert/strict';

import { INITIAL_KEYS, actionForKey, topKeysReducer, type TopKeysState } from '../../../src/tui/use-top-keys.js';

const NO_KEY = {
  upArrow: false,
  downArrow: false,
  pageUp: false,
  pageDown: false,
  return: false,
  escape: false,
  backspace: false,
  delete: false,
  ctrl: false,
  meta: false,
};
const VIEW = { maxScroll: 10, pageRows: 4 };

function press(state: TopKeysState, input: string, key: Partial<typeof NO_KEY> = {}): TopKeysState {
  const action = actionForKey(input, { ...NO_KEY, ...key }, state, VIEW);
  return action ? topKeysReducer(state, action) : state;
}

describe('top keys', () => {
  it('q quits, s sorts, p pauses; other keys do nothing', () => {
    assert.equal(press(INITIAL_KEYS, 'q').quit, true);
    assert.equal(press(INITIAL_KEYS, 's').sort, 'bytes');
    assert.equal(press(press(INITIAL_KEYS, 'p'), 'p').paused, false);
    assert.equal(press(INITIAL_KEYS, 'x'), INITIAL_KEYS);
  });

  it('while typing a filter, letters are text (q does not quit) until Enter or Esc', () => {
    let state = press(INITIAL_KEYS, '/');
    for (const char of 'qs9') state = press(state, char);
    assert.deepEqual(
      { filter: state.filter, quit: state.quit, sort: state.sort },
      { filter: 'qs9', quit: false, sort: 'rate' },
    );
    state = press(state, '', { backspace: true });
    assert.equal(state.filter, 'qs');
    state = press(state, '', { return: true });
    assert.equal(state.editingFilter, false);
    assert.equal(state.filter, 'qs');
    state = press(state, '', { escape: true });
    assert.equal(state.filter, '');
  });

  it('scrolls by rows and pages within the table', () => {
    let state = press(INITIAL_KEYS, '', { upArrow: true });
    assert.equal(state.scroll, 0);
    state = press(state, '', { pageDown: true });
    assert.equal(state.scroll, 4);
    for (let i = 0; i < 20; i++) state = press(state, '', { downArrow: true });
    assert.equal(state.scroll, 10);
    assert.equal(press(state, 's').scroll, 0, 'a new sort starts at the top');
  });
});
