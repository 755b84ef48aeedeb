import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';

import { LastResort, LOG_BURST, LOG_WINDOW_MS } from '../../../src/proxy/last-resort.js';
import type { Logger } from '../../../src/proxy/log/logger.js';

interface Line {
  level: string;
  kind: string;
  message: string;
  fields?: Record<string, unknown>;
}

function given(): {
  source: EventEmitter;
  lines: Line[];
  clock: { now: number };
  plane: { healthy: boolean };
  lastResort: LastResort;
} {
  const source = new EventEmitter();
  const lines: Line[] = [];
  const logger: Logger = { log: (level, kind, message, fields) => lines.push({ level, kind, message, fields }) };
  const clock = { now: 1_000_000 };
  const plane = { healthy: true };
  const lastResort = new LastResort(
    source,
    logger,
    () => plane.healthy,
    () => clock.now,
  );
  return { source, lines, clock, plane, lastResort };
}

const settled = (promise: Promise<unknown>): Promise<boolean> =>
  Promise.race([promise.then(() => true), new Promise<boolean>((resolve) => setImmediate(() => resolve(false)))]);

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
    assert.equal(await settled(lastResort.fatal), false);
  });

  it(`a flood of errors is survived, counted in full and logged ${LOG_BURST} lines per ${LOG_WINDOW_MS / 1000}s`, async () => {
    const { source, lines, clock, lastResort } = given();
    for (let i = 0; i < 1000; i++) source.emit('uncaughtException', new Error(`flood ${i}`));
    assert.equal(lastResort.errors, 1000);
    assert.equal(lines.length, LOG_BURST);
    clock.now += LOG_WINDOW_MS;
    source.emit('uncaughtException', new Error('later'));
    assert.equal(lines.at(-1)!.fields?.['suppressed'], 1000 - LOG_BURST, 'the next line counts what was left out');
    assert.equal(lines.at(-1)!.fields?.['total'], 1001);
    assert.equal(await settled(lastResort.fatal), false, 'a flood alone is not fatal');
  });

  it('is fatal, said once, when the data plane no longer answers', async () => {
    const { source, lines, plane, lastResort } = given();
    plane.healthy = false;
    source.emit('uncaughtException', new Error('worker gone'));
    source.emit('uncaughtException', new Error('again'));
    assert.equal(((await lastResort.fatal) as Error).message, 'worker gone');
    assert.deepEqual(
      lines.map((line) => line.kind),
      ['fatal', 'internal_error'],
    );
    assert.match(
      lines[0]!.message,
      /worker gone, and the data plane no longer answers; closing every flow and stopping/,
    );
  });

  it('dispose() removes both handlers', () => {
    const { source, lastResort } = given();
    assert.equal(source.listenerCount('uncaughtException') + source.listenerCount('unhandledRejection'), 2);
    lastResort.dispose();
    assert.equal(source.listenerCount('uncaughtException') + source.listenerCount('unhandledRejection'), 0);
  });
});
