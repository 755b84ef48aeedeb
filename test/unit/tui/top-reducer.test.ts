/**
 * The view model's reducer, driven directly: every input of `mmproxy top`
 * (key presses, feed states, resizes) as events, and the state they leave.
 */
import assert from 'node:assert/strict';

import { reduceTop } from '../../../src/tui/model/top-reducer.js';
import { initialTopState, type TopEvent, type TopState } from '../../../src/tui/model/top-state.js';
import { viewport } from '../../../src/tui/model/viewport.js';
import type { FeedState } from '../../../src/tui/stats-feed.js';
import { key, keys } from '../../support/key-press.js';
import { busySnapshot, emptySnapshot } from '../../support/recorded-snapshots.js';

function live(snapshot = busySnapshot(20)): FeedState {
  return { connection: 'live', snapshot, problem: null };
}

function after(state: TopState, ...events: (TopEvent | TopEvent[])[]): TopState {
  return events.flat().reduce(reduceTop, state);
}

/** 21 flows in 80×24: the table shows 14 rows, so the last page starts at row 7. */
const start = (): TopState => initialTopState(live(), { columns: 80, rows: 24 });
const lastPage = (state: TopState): number => viewport(state)!.maxScroll;

describe('top view model (reducer)', () => {
  describe('keys', () => {
    it('Given keys typed faster than a render, When "/" then "q" arrive, Then q is filter text, not quit', () => {
      const state = after(start(), keys('/q'));
      assert.equal(state.quit, false);
      assert.equal(state.filter, 'q');
      assert.equal(state.editingFilter, true);
    });

    it('Given a kept filter, When Esc is pressed, Then the filter is cleared; a second Esc changes nothing', () => {
      const filtered = after(start(), keys('/113.2'), key('return'));
      assert.deepEqual([filtered.filter, filtered.editingFilter], ['113.2', false]);
      const cleared = after(filtered, key('escape'));
      assert.equal(cleared.filter, '');
      assert.equal(reduceTop(cleared, key('escape')), cleared, 'the same state: nothing to render');
    });

    it('Given a sort, When r or S is pressed, Then it is reversed; s moves on to the next key unreversed', () => {
      const reversed = after(start(), keys('r'));
      assert.deepEqual(reversed.order, { key: 'rate', reversed: true });
      assert.deepEqual(after(reversed, keys('S')).order, { key: 'rate', reversed: false });
      assert.deepEqual(after(reversed, keys('s')).order, { key: 'bytes', reversed: false });
    });

    it('Given the help is open, When s is pressed, Then nothing changes; ? Esc or Enter close it, q still quits', () => {
      const help = after(start(), keys('?'));
      assert.equal(help.help, true);
      assert.equal(reduceTop(help, keys('s')[0]!), help);
      for (const close of [keys('?')[0]!, key('escape'), key('return')])
        assert.equal(reduceTop(help, close).help, false);
      assert.equal(after(help, keys('q')).quit, true);
    });

    it('Given Ctrl held, When q is pressed, Then it is not a command (Ctrl-C belongs to ink)', () => {
      const state = start();
      assert.equal(reduceTop(state, key('ctrl', 'q')), state);
    });
  });

  describe('scrolling, clamped where the limits are known', () => {
    it('Given 21 flows in 24 rows, When ↓ is pressed 40 times, Then the table stops at its last page', () => {
      assert.equal(lastPage(start()), 7);
      const state = after(
        start(),
        Array.from({ length: 40 }, () => key('downArrow')),
      );
      assert.equal(state.scroll, 7);
      // And one ↑ moves at once, with no presses spent coming back from beyond the end
      assert.equal(after(state, key('upArrow')).scroll, 6);
    });

    it('Given the top of the table, When PgDn, End, PgUp and Home are pressed, Then it moves by pages and to the ends', () => {
      const page = viewport(start())!.tableRows;
      assert.equal(after(start(), key('pageDown')).scroll, Math.min(page, 7));
      assert.equal(after(start(), key('end')).scroll, 7);
      assert.equal(after(start(), key('end'), key('pageUp')).scroll, 0);
      assert.equal(after(start(), key('end'), key('home')).scroll, 0);
      assert.equal(after(start(), key('upArrow')).scroll, 0);
    });

    it('Given the last page, When the terminal grows, Then the scroll comes back to the new last page', () => {
      const scrolled = after(start(), key('end'));
      const taller = after(scrolled, { type: 'resize', size: { columns: 80, rows: 30 } });
      assert.equal(taller.scroll, lastPage(taller));
      assert.equal(taller.scroll, 1);
      assert.equal(after(scrolled, { type: 'resize', size: { columns: 80, rows: 40 } }).scroll, 0);
    });

    it('Given the last page, When the proxy reports fewer flows, Then the scroll follows them back', () => {
      const scrolled = after(start(), key('end'));
      const fewer = after(scrolled, { type: 'feed', feed: live(busySnapshot(10)) });
      assert.equal(fewer.scroll, 0);
    });

    it('Given a scrolled table, When a filter is typed, Then the table starts from its top', () => {
      const state = after(start(), key('end'), keys('/1'));
      assert.equal(state.scroll, 0);
    });
  });

  describe('the feed and pause', () => {
    it('Given a paused screen, When the feed moves on, Then the screen holds until resumed, then shows the latest', () => {
      const paused = after(start(), keys('p'));
      const idle = live(emptySnapshot());
      const moved = after(paused, { type: 'feed', feed: idle });
      assert.equal(moved.shown, paused.shown);
      assert.equal(moved.latest, idle);
      assert.equal(after(moved, keys('p')).shown, idle);
    });

    it('Given a state, When the feed repeats its state or the size is unchanged, Then the state is the same object', () => {
      const state = start();
      assert.equal(reduceTop(state, { type: 'feed', feed: state.latest }), state);
      assert.equal(reduceTop(state, { type: 'resize', size: { columns: 80, rows: 24 } }), state);
    });

    it('Given no data yet, When ↓ is pressed, Then the scroll stays at 0', () => {
      const waiting = initialTopState(
        { connection: 'connecting', snapshot: null, problem: null },
        { columns: 80, rows: 24 },
      );
      assert.equal(after(waiting, key('downArrow')).scroll, 0);
    });
  });
});
