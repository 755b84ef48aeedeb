import assert from 'node:assert/strict';

import { renderOnce } from '../../../src/tui/once.js';
import { busySnapshot, emptySnapshot } from '../../support/recorded-snapshots.js';

describe('mmproxy top --once', () => {
  it('prints every flow as plain text: no colours, no cursor codes, no key help', () => {
    // Given 100 flows, more than any terminal page
    const text = renderOnce(busySnapshot(100), 120);
    // Then all are printed, plainly
    assert.ok(!text.includes('\u001B'), 'no escape sequences');
    assert.equal(text.split('\n').filter((line) => line.startsWith('203.0.113.')).length, 100);
    assert.match(text, /^CLIENT +LB +TARGET +STATE +AGE +→TARGET +←CLIENT +RATE▼$/m);
    assert.match(
      text,
      /^\[2001:db8:85a3::8a2e:370:7334\]:51234 \[2001:db8::10\]:33333 +\[::1\]:8080 +estab +5s +2\.9K +2\.9K +200B\/s$/m,
    );
    assert.ok(!text.includes('q quit'));
    for (const line of text.split('\n')) assert.ok(line.length <= 120 && line === line.trimEnd());
  });

  it('prints an idle proxy as such', () => {
    const text = renderOnce(emptySnapshot(), 80);
    assert.match(text, /^mmproxy top tcp 0\.0\.0\.0:8443 → 127\.0\.0\.1:8080 · pid 4242 · up 3h02m$/m);
    assert.match(text, /^No live flows right now\.$/m);
    assert.match(text, /^No failures since the proxy started\.$/m);
  });
});
