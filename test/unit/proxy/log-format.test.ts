import { deepStrictEqual, strictEqual } from 'node:assert/strict';

import { formatJson, formatText } from '../../../src/proxy/log/format.js';
import { createLogger } from '../../../src/proxy/log/logger.js';
import type { LogRecord } from '../../../src/proxy/log/record.js';

const record: LogRecord = {
  timeMs: Date.UTC(2026, 10, 25, 20, 1, 2, 345),
  level: 'warn',
  kind: 'connect_timeout',
  message: 'upstream connect timed out',
  fields: {
    flow: 12,
    client: '198.51.100.7:40001',
    target: '[::1]:22',
    code: 'ETIMEDOUT',
    note: 'two words',
    ok: true,
  },
};

describe('log lines', () => {
  it('text: time, level, kind, message, then key=value pairs, quoted when needed', () => {
    strictEqual(
      formatText(record),
      '2026-11-25T20:01:02.345Z warn  connect_timeout: upstream connect timed out flow=12 client=198.51.100.7:40001 ' +
        'target=[::1]:22 code=ETIMEDOUT note="two words" ok=true\n',
    );
  });

  it('text: quotes values with = or quotes so pairs stay splittable', () => {
    const line = formatText({ ...record, fields: { path: 'a=b', say: 'he said "hi"', empty: '' } });
    strictEqual(line.endsWith(' path="a=b" say="he said \\"hi\\"" empty=""\n'), true, line);
  });

  it('json: one object a line with slog key names', () => {
    const line = formatJson(record);
    strictEqual(line.endsWith('}\n'), true);
    strictEqual(line.indexOf('\n'), line.length - 1);
    deepStrictEqual(JSON.parse(line), {
      time: '2026-11-25T20:01:02.345Z',
      level: 'warn',
      kind: 'connect_timeout',
      msg: 'upstream connect timed out',
      flow: 12,
      client: '198.51.100.7:40001',
      target: '[::1]:22',
      code: 'ETIMEDOUT',
      note: 'two words',
      ok: true,
    });
  });

  it('the logger stamps the time and writes through its sink', () => {
    const lines: string[] = [];
    const logger = createLogger({ format: 'json', write: (line) => lines.push(line), now: () => 0 });
    logger.log('info', 'listening', 'listening on 0.0.0.0:8443');
    deepStrictEqual(
      lines.map((line): unknown => JSON.parse(line)),
      [{ time: '1970-01-01T00:00:00.000Z', level: 'info', kind: 'listening', msg: 'listening on 0.0.0.0:8443' }],
    );
  });
});
