/**
 * `mmproxy top` of a proxy with several listeners (issue 17), from a recorded snapshot of three: web (TCP, a
 * port range), dns (UDP) and old (draining). Flows under a line per listener, the `l` key and `--listener`.
 * A proxy with one listener keeps the screen it always had (the other tests of test/unit/tui).
 */
import assert from 'node:assert/strict';
import { stripVTControlCharacters } from 'node:util';
import { cleanup, render } from 'ink-testing-library';

import { TopApp } from '../../../src/tui/App.js';
import { topFrame, type LiveFrame } from '../../../src/tui/model/top-frame.js';
import { nextListener, unknownListener } from '../../../src/tui/model/listeners.js';
import { reduceTop } from '../../../src/tui/model/top-reducer.js';
import { initialTopState } from '../../../src/tui/model/top-state.js';
import { renderOnce } from '../../../src/tui/once.js';
import { fakeFeed } from '../../support/fake-feed.js';
import { fakeTerminal } from '../../support/fake-terminal.js';
import { keys } from '../../support/key-press.js';
import { busySnapshot, emptySnapshot, listenersSnapshot } from '../../support/recorded-snapshots.js';
import { frameLines, waitForContent } from '../../support/wait-for-content.js';

const WEB_LINE = /^web · tcp 192\.0\.2\.1:8443-8450 · 3 active · 5\.0K\/s · 0 failed$/m;
const DNS_LINE = /^dns · udp 192\.0\.2\.1:5353 · 2 active · 700B\/s · 3 failed$/m;
const OLD_LINE = /^old · tcp 192\.0\.2\.1:9000 · 1 active · 0B\/s · 0 failed · draining$/m;

/** The first address of each line that starts with one, top to bottom. */
function clients(text: string): string[] {
  return frameLines(text)
    .map((line) => /^(\d+\.\d+\.\d+\.\d+):\d+ /.exec(line)?.[1])
    .filter((client) => client !== undefined);
}

function assertFits(frame: string, columns: number, rows: number): void {
  const lines = frameLines(stripVTControlCharacters(frame));
  assert.ok(lines.length < rows, `${lines.length} lines do not fit ${rows} rows:\n${frame}`);
  for (const line of lines) assert.ok(line.length <= columns, `line wider than ${columns}: ${JSON.stringify(line)}`);
}

describe('mmproxy top with several listeners', () => {
  afterEach(() => cleanup());

  it('groups the flows under a line per listener with its counters, busiest first within each', () => {
    // Given three listeners, when printed once
    const text = renderOnce(listenersSnapshot(), 100);
    // Then the header says how many, each listener has its line, and its flows follow it
    assert.match(text, /^mmproxy top 3 listeners \(tcp, udp\) · pid 4242 · up 3h02m$/m);
    assert.match(text, WEB_LINE);
    assert.match(text, DNS_LINE);
    assert.match(text, OLD_LINE);
    const lines = frameLines(text);
    const at = (pattern: RegExp): number => lines.findIndex((line) => pattern.test(line));
    assert.ok(at(WEB_LINE) < at(/^203\.0\.113\.4:/) && at(/^203\.0\.113\.6:/) < at(DNS_LINE));
    assert.ok(at(DNS_LINE) < at(/^198\.51\.100\.2:/) && at(/^198\.51\.100\.5:/) < at(OLD_LINE));
    assert.deepEqual(clients(text), [
      '203.0.113.4',
      '203.0.113.1',
      '203.0.113.6',
      '198.51.100.2',
      '198.51.100.5',
      '203.0.113.3',
    ]);
    // And the header's counts are the whole process's
    assert.match(text, /^flows 6 active · 149 accepted · 0 established · 3 failed$/m);
  });

  it('--listener NAME prints that listener only; an unknown name is refused, listing the names', () => {
    const snapshot = listenersSnapshot();
    const text = renderOnce(snapshot, 100, 'dns');
    assert.match(text, DNS_LINE);
    assert.ok(!WEB_LINE.test(text) && !OLD_LINE.test(text));
    assert.deepEqual(clients(text), ['198.51.100.2', '198.51.100.5']);
    assert.equal(unknownListener(snapshot, 'dns'), null);
    assert.equal(
      unknownListener(snapshot, 'mail'),
      '--listener mail: the proxy has no listener of that name; its listeners: web, dns, old',
    );
    assert.match(unknownListener(busySnapshot(1), 'mail')!, /--listener mail: .*listeners: default/);
  });

  it('l shows each listener in turn, then all again, saying which in the footer', async () => {
    // Given the live view of three listeners
    const { lastFrame, stdin } = render(
      <TopApp
        feed={fakeFeed({ connection: 'live', snapshot: listenersSnapshot() })}
        terminal={fakeTerminal(100, 30)}
      />,
    );
    const all = await waitForContent(lastFrame, 'l listener:all');
    assert.equal(clients(all).length, 6);
    // When l is pressed, Then web's flows alone, under its line
    stdin.write('l');
    const web = await waitForContent(lastFrame, 'l listener:web');
    assert.match(web, WEB_LINE);
    assert.ok(!DNS_LINE.test(web));
    assert.deepEqual(clients(web), ['203.0.113.4', '203.0.113.1', '203.0.113.6']);
    // And on through dns and old, then every listener again
    stdin.write('l');
    assert.deepEqual(clients(await waitForContent(lastFrame, 'l listener:dns')), ['198.51.100.2', '198.51.100.5']);
    stdin.write('l');
    assert.deepEqual(clients(await waitForContent(lastFrame, 'l listener:old')), ['203.0.113.3']);
    stdin.write('l');
    assert.equal(clients(await waitForContent(lastFrame, 'l listener:all')).length, 6);
    // And the help lists the key
    stdin.write('?');
    assert.match(await waitForContent(lastFrame, 'mmproxy top keys'), /^l +show the next listener's flows/m);
  });

  it('keeps a text filter within the listener lines: only listeners with a matching flow', () => {
    const state = keys('/198.51').reduce(
      reduceTop,
      initialTopState({ connection: 'live', snapshot: listenersSnapshot(), problem: null }, { columns: 100, rows: 30 }),
    );
    const frame = topFrame(state) as LiveFrame;
    assert.deepEqual(
      frame.table.rows.map((row) => (row.kind === 'group' ? row.listener : row.id)),
      ['dns', 2, 5],
    );
  });

  it('fits a narrow terminal: the listener line keeps its counters and drops its address', async () => {
    const { lastFrame } = render(
      <TopApp feed={fakeFeed({ connection: 'live', snapshot: listenersSnapshot() })} terminal={fakeTerminal(40, 16)} />,
    );
    const frame = await waitForContent(lastFrame, 'CLIENT');
    assertFits(frame, 40, 16);
    assert.match(frame, /^web · 3 active · 5\.0K\/s · 0 failed$/m);
  });

  it('one listener: no listener lines, no l in the footer or the help, and l does nothing', async () => {
    const snapshot = busySnapshot(3);
    assert.equal(snapshot.listeners?.length, 1);
    const { lastFrame, stdin } = render(
      <TopApp feed={fakeFeed({ connection: 'live', snapshot })} terminal={fakeTerminal(100, 30)} />,
    );
    const before = await waitForContent(lastFrame, 'CLIENT');
    assert.ok(!before.includes('listener'), before);
    assert.ok(!/^default · /m.test(before));
    stdin.write('l');
    stdin.write('?');
    const help = await waitForContent(lastFrame, 'mmproxy top keys');
    assert.ok(!/^l /m.test(help), help);
    assert.ok(!renderOnce(emptySnapshot(), 80).includes('default'));
  });

  it('a listener a reload removed while shown: l goes back to every listener', () => {
    assert.equal(nextListener('gone', ['web', 'dns']), null);
    assert.equal(nextListener(null, ['web', 'dns']), 'web');
    assert.equal(nextListener('dns', ['web', 'dns']), null);
  });
});
