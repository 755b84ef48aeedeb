import { strictEqual } from 'node:assert/strict';

import { formatDurationMs, parseDurationMs, parseGoInteger } from '../../../src/base/numbers.js';

describe('numbers: Go integer literals and durations', () => {
  it('reads integers as Go strconv.ParseInt(s, 0, 64) does', () => {
    const cases: [string, number | null][] = [
      ['0', 0],
      ['42', 42],
      ['-1', -1],
      ['+7', 7],
      ['0x2a', 42],
      ['0X2A', 42],
      ['052', 42],
      ['0o52', 42],
      ['0b101010', 42],
      ['1_000', 1000],
      ['08', null],
      ['4.5', null],
      ['', null],
      ['abc', null],
      ['0x', null],
      ['99999999999999999999', null],
    ];
    for (const [text, value] of cases) strictEqual(parseGoInteger(text), value, text);
  });

  it('reads durations as seconds or with a unit', () => {
    const cases: [string, number | null][] = [
      ['5', 5000],
      ['2.5', 2500],
      ['5s', 5000],
      ['500ms', 500],
      ['2m', 120_000],
      ['1h', 3_600_000],
      ['0', 0],
      ['-1s', null],
      ['5 s', null],
      ['1d', null],
      ['', null],
      ['s', null],
    ];
    for (const [text, value] of cases) strictEqual(parseDurationMs(text), value, text);
  });

  it('writes durations in the largest unit that divides them, which reads back the same', () => {
    const cases: [number, string][] = [
      [0, '0ms'],
      [1, '1ms'],
      [1500, '1500ms'],
      [90_000, '90s'],
      [120_000, '2m'],
      [86_400_000, '24h'],
    ];
    for (const [ms, text] of cases) {
      strictEqual(formatDurationMs(ms), text, String(ms));
      strictEqual(parseDurationMs(text), ms, text);
    }
  });
});
