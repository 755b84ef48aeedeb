/**
 * The frame as data, from states the reducer reaches: what each screen
 * holds, without a terminal.
 */
import assert from 'node:assert/strict';

import { topFrame, type LiveFrame, type TopFrame } from '../../../src/tui/model/top-frame.js';
import { reduceTop } from '../../../src/tui/model/top-reducer.js';
import { initialTopState, type TopEvent, type TopState } from '../../../src/tui/model/top-state.js';
import { keys } from '../../support/key-press.js';
import { busySnapshot } from '../../support/recorded-snapshots.js';

function state(columns: number, rows: number, ...events: TopEvent[][]): TopState {
  const initial = initialTopState({ connection: 'live', snapshot: busySnapshot(12), problem: null }, { columns, rows });
  return events.flat().reduce(reduceTop, initial);
}

function liveFrame(frame: TopFrame): LiveFrame {
  assert.equal(frame.kind, 'live');
  return frame;
}

describe('top frame (pure)', () => {
  it('Given each sort, Then its column carries ▼ or ▲ (the bytes sort marks both byte columns)', () => {
    const header = (...events: TopEvent[][]): string => liveFrame(topFrame(state(120, 40, ...events))).table.header;
    assert.match(header(), /AGE +→TARGET +←CLIENT +RATE▼$/);
    assert.match(header(keys('r')), /RATE▲$/);
    assert.match(header(keys('s')), /AGE +→TARGET▼ ←CLIENT▼ +RATE$/);
    assert.match(header(keys('ss')), /AGE▼ +→TARGET/);
    assert.match(header(keys('sss')), /^CLIENT▲ /);
    assert.match(header(keys('sssr')), /^CLIENT▼ /);
  });

  it('Given a reversed sort, Then the footer says so and the least busy flow comes first', () => {
    const frame = liveFrame(topFrame(state(120, 40, keys('r'))));
    assert.deepEqual(frame.footer.kind === 'keys' && frame.footer.keys[2], { key: 's', label: 'sort:rate▲' });
    const [firstRow] = frame.table.rows;
    assert.equal(firstRow?.kind, 'flow', 'one listener: no line above the flows');
    const first = firstRow.cells.find((cell) => cell.column === 'client')!.text.trim();
    assert.equal(first, '[2001:db8:85a3::8a2e:370:7334]:51234', 'the IPv6 flow moves 200 B/s, the least');
  });

  it('Given ? pressed, Then the frame is the key help, every main key with what it does', () => {
    const frame = topFrame(state(80, 24, keys('?')));
    assert.equal(frame.kind, 'help');
    const help = frame.kind === 'help' ? frame.rows.map((row) => `${row.keys.trim()}: ${row.does}`) : [];
    for (const expected of [
      /^q: quit$/,
      /^\?: this help$/,
      /^s: sort by the next of rate, bytes, age, client$/,
      /^r S: reverse the sort \(▲ ascending, ▼ descending\)$/,
      /^p: pause/,
      /^\/: filter by address or state/,
      /^Esc: clear the filter$/,
      /^↑↓: scroll a row$/,
      /^PgUp PgDn: scroll a page$/,
      /^Home End: first \/ last flow$/,
    ])
      assert.ok(
        help.some((line) => expected.test(line)),
        `${String(expected)} missing from:\n${help.join('\n')}`,
      );
  });

  it('Given a terminal too short for the help, Then it shows what fits and counts the rest', () => {
    const frame = topFrame(state(40, 8, keys('?')));
    assert.ok(frame.kind === 'help');
    assert.equal(frame.rows.length, 5, '8 rows: title, 5 keys, the closing line, one spare');
    assert.equal(frame.hidden, 5);
  });
});
