import { deepStrictEqual, strictEqual } from 'node:assert/strict';

import type { DataPlaneEvent } from '../../../src/base/flows.js';
import { createEventLog, type EventLog } from '../../../src/proxy/log/event-log.js';
import { createLogger } from '../../../src/proxy/log/logger.js';
import { LineRateLimiter } from '../../../src/proxy/log/rate-limit.js';
import type { Verbosity } from '../../../src/config/proxy-options.js';

interface Line {
  level: string;
  kind: string;
  msg: string;
  [field: string]: unknown;
}

function setup(verbosity: Verbosity, burst = 100): { log: EventLog; lines: Line[]; clock: { now: number } } {
  const lines: Line[] = [];
  const clock = { now: 0 };
  const logger = createLogger({
    format: 'json',
    write: (line) => lines.push(JSON.parse(line) as Line),
    now: () => clock.now,
  });
  const log = createEventLog({ logger, verbosity, limiter: new LineRateLimiter(burst, 1000), now: () => clock.now });
  return { log, lines, clock };
}

const closed: DataPlaneEvent = { level: 'debug', kind: 'flow_closed', message: 'flow closed', flowId: 3 };
const refused: DataPlaneEvent = {
  level: 'info',
  kind: 'connect_refused',
  message: 'upstream connect refused',
  flowId: 4,
  client: { family: 4, address: '198.51.100.7', port: 40001 },
  loadBalancer: { family: 4, address: '192.0.2.10', port: 51234 },
  target: { family: 6, address: '::1', port: 22 },
  code: 'ECONNREFUSED',
  bytesToTarget: 0,
  bytesToClient: 0,
  durationMs: 2,
};
const backoff: DataPlaneEvent = { level: 'warn', kind: 'accept_backoff', message: 'accept failed', code: 'EMFILE' };

describe('data plane events in the log', () => {
  it('-v 0 shows errors and warnings only', () => {
    const { log, lines } = setup(0);
    log.handle([closed, refused, backoff]);
    deepStrictEqual(
      lines.map((l) => l.kind),
      ['accept_backoff'],
    );
    strictEqual(log.received, 3);
  });

  it('-v 0 also shows the info line that ends a warning: accepting connections again', () => {
    const { log, lines } = setup(0);
    log.handle([backoff, refused, { level: 'info', kind: 'accept_backoff', message: 'accepting connections again' }]);
    deepStrictEqual(
      lines.map((l) => [l.level, l.kind]),
      [
        ['warn', 'accept_backoff'],
        ['info', 'accept_backoff'],
      ],
    );
  });

  it("leaves out the data plane's own startup event: the control plane's startup line says more", () => {
    const { log, lines } = setup(2);
    log.handle([{ level: 'info', kind: 'listening', message: 'listening on 0.0.0.0:8443 with 2 worker thread(s)' }]);
    deepStrictEqual(lines, []);
  });

  it('-v 1 adds each failed connection, -v 2 every connection', () => {
    const one = setup(1);
    one.log.handle([closed, refused, backoff]);
    deepStrictEqual(
      one.lines.map((l) => l.kind),
      ['connect_refused', 'accept_backoff'],
    );
    const two = setup(2);
    two.log.handle([closed, refused, backoff]);
    deepStrictEqual(
      two.lines.map((l) => l.kind),
      ['flow_closed', 'connect_refused', 'accept_backoff'],
    );
  });

  it("writes the data plane's message, and the flow's endpoints and figures as fields", () => {
    const { log, lines } = setup(1);
    log.handle([refused]);
    deepStrictEqual(lines[0], {
      time: '1970-01-01T00:00:00.000Z',
      level: 'info',
      kind: 'connect_refused',
      msg: 'upstream connect refused',
      flow: 4,
      client: '198.51.100.7:40001',
      lb: '192.0.2.10:51234',
      target: '[::1]:22',
      code: 'ECONNREFUSED',
      bytes_to_target: 0,
      bytes_to_client: 0,
      duration_ms: 2,
    });
  });

  it('summarises a flood: a burst, then one line with the count, per kind', () => {
    const { log, lines, clock } = setup(1, 3);
    log.handle(Array.from({ length: 50 }, () => refused));
    log.handle([{ ...backoff }]);
    strictEqual(lines.filter((l) => l.kind === 'connect_refused').length, 3);
    clock.now = 1000;
    log.flushSuppressed(clock.now);
    const summary = lines.at(-1)!;
    deepStrictEqual(
      { level: summary.level, kind: summary.kind, msg: summary.msg, suppressed: summary['suppressed'] },
      { level: 'info', kind: 'connect_refused', msg: '47 more similar lines suppressed in 1s', suppressed: 47 },
    );
    strictEqual(lines.length, 5);
  });

  it('reports suppressed lines before the first line of the next window', () => {
    const { log, lines, clock } = setup(1, 1);
    log.handle([refused, refused, refused]);
    clock.now = 1500;
    log.handle([refused]);
    deepStrictEqual(
      lines.map((l) => l.msg.split(':')[0]),
      ['upstream connect refused', '2 more similar lines suppressed in 1s', 'upstream connect refused'],
    );
  });
  it("a config file's plane names its listener on each line (JSON and text); a command line's names none", () => {
    const { log, lines } = setup(1);
    log.handle([refused], { listener: 'web' });
    log.handle([refused]);
    strictEqual(lines[0]!['listener'], 'web');
    strictEqual(lines[0]!['flow'], 4);
    strictEqual('listener' in lines[1]!, false);
    const text: string[] = [];
    const logger = createLogger({ format: 'text', write: (line) => text.push(line), now: () => 0 });
    createEventLog({ logger, verbosity: 1, limiter: new LineRateLimiter(100, 1000), now: () => 0 }).handle([refused], {
      listener: 'web',
    });
    strictEqual(text[0]!.includes(' listener=web flow=4 '), true, text[0]);
  });

  it('setVerbosity: a reload that raises -v shows the lines it hid', () => {
    const { log, lines } = setup(0);
    log.handle([refused]);
    log.setVerbosity(1);
    log.handle([refused]);
    strictEqual(lines.length, 1);
  });
});
