/** Log lines under systemd: a syslog priority on each line when, and only when, stderr is the journal. */
import assert from 'node:assert/strict';

import { createLogger } from '../../../src/proxy/log/logger.js';
import { stderrIsJournal, withSyslogPriority } from '../../../src/proxy/log/journal.js';

describe('journald priorities', () => {
  const stream = () => ({ dev: 64769n, ino: 123456n });

  it('knows stderr is the journal only when JOURNAL_STREAM names its device and inode', () => {
    assert.equal(stderrIsJournal('64769:123456', stream), true);
    assert.equal(stderrIsJournal('64769:999', stream), false);
    assert.equal(stderrIsJournal(undefined, stream), false);
    assert.equal(stderrIsJournal('garbage', stream), false);
    assert.equal(
      stderrIsJournal('1:2', () => {
        throw new Error('EBADF');
      }),
      false,
    );
  });

  it('prefixes each line with its priority: <3> error, <4> warn, <6> info, <7> debug', () => {
    assert.equal(withSyslogPriority('error', 'a\nb\n'), '<3>a\n<3>b\n');
    assert.equal(withSyslogPriority('warn', 'w\n'), '<4>w\n');
    assert.equal(withSyslogPriority('info', 'i\n'), '<6>i\n');
    assert.equal(withSyslogPriority('debug', 'd\n'), '<7>d\n');
  });

  it('applies to both log formats through the logger', () => {
    const lines: string[] = [];
    for (const format of ['text', 'json'] as const) {
      const logger = createLogger({ format, write: (line) => lines.push(line), now: () => 0, syslogPriority: true });
      logger.log('error', 'start_failed', 'address in use');
    }
    assert.match(lines[0]!, /^<3>1970-01-01T00:00:00.000Z error start_failed: address in use\n$/);
    assert.match(lines[1]!, /^<3>\{"time":"1970-01-01T00:00:00.000Z","level":"error","kind":"start_failed"/);
  });
});
