import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';

import { FATAL_BURST, FATAL_WINDOW_MS, LastResort } from '../../../src/proxy/last-resort.js';
import type { Logger } from '../../../src/proxy/log/logger.js';

interface Line {
  level: string;
  kind: string;
  message: string;
  fields?: Record<string, unknown>;
}

function given(): { source: EventEmitter; lines: Line[]; clock: { now: number }; lastResort: LastResort } {
  const source = new EventEmitter();
  const lines: Line[] = [];
  const logger: Logger = { log: (level, kind, message, fields) => lines.push({ level, kind, message, fields }) };
  const clock = { now: 1_000_000 };
  const lastResort = new LastResort(source, logger, () => clock.now);
  return { source, lines, clock, lastResort };
}

describe('the last-resort handler (issue 14)', () => {
  it('logs and counts an uncaught exception and an unhandled rejection, and the proxy serves on', async () => {
    const { source, lines, lastResort } = given();
    source.emit('uncaughtException', new TypeError('Invalid URL'));
    source.emit('unhandledRejection', 'a plain string');
    assert.equal(lastResort.errors, 2);
    assert.deepEqual(
      lines.map((line) => [line.level, line.kind]),
      [
        ['error', 'internal_error'],
        ['error', 'internal_error'],
      ],
    );
    assert.match(lines[0]!.message, /^an uncaught exception: Invalid URL; the proxy keeps serving\. This is a bug/);
    assert.match(String(lines[0]!.fields?.['stack']), /TypeError: Invalid URL/);
    assert.match(lines[1]!.message, /^an unhandled promise rejection: a plain string;/);
    const notFatal = await Promise.race([lastResort.fatal.then(() => true), Promise.resolve(false)]);
    assert.equal(notFatal, false);
  });

  it(`calls it fatal when more than ${FATAL_BURST} arrive within ${FATAL_WINDOW_MS / 1000}s, not when spread out`, async () => {
    const { source, lines, clock, lastResort } = given();
    // Spread out: one every window/burst, never more than the burst within a window
    for (let i = 0; i < FATAL_BURST * 3; i++) {
      source.emit('uncaughtException', new Error(`slow ${i}`));
      clock.now += FATAL_WINDOW_MS / FATAL_BURST;
    }
    assert.equal(lines.filter((line) => line.kind === 'fatal').length, 0);
    // A burst, a window later: one more than allowed, all at once
    clock.now += FATAL_WINDOW_MS;
    for (let i = 0; i <= FATAL_BURST; i++) source.emit('uncaughtException', new Error(`fast ${i}`));
    assert.equal(((await lastResort.fatal) as Error).message, `fast ${FATAL_BURST}`);
    source.emit('uncaughtException', new Error('after'));
    assert.equal(lines.filter((line) => line.kind === 'fatal').length, 1, 'said once');
    assert.match(lines.at(-2)!.message, /^51 internal errors within 10s, the last: fast 50; stopping/);
    assert.equal(lastResort.errors, FATAL_BURST * 4 + 2);
  });

  it('dispose() removes both handlers', () => {
    const { source, lastResort } = given();
    assert.equal(source.listenerCount('uncaughtException') + source.listenerCount('unhandledRejection'), 2);
    lastResort.dispose();
    assert.equal(source.listenerCount('uncaughtException') + source.listenerCount('unhandledRejection'), 0);
  });
});
