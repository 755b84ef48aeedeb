/**
 * When stderr is the journal (a systemd service's default), each line starts
 * with its syslog priority, `<3>` for an error (sd-daemon(3)), so that
 * `journalctl -p err` finds the errors. systemd says so through JOURNAL_STREAM,
 * "DEVICE:INODE" of the stream it connected; a process whose stderr was
 * redirected elsewhere keeps the variable but not the stream, hence the compare.
 */
import { fstatSync } from 'node:fs';

import type { LogLevel } from './record.js';

/** syslog(3)'s LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG. */
export const SYSLOG_PRIORITY: Readonly<Record<LogLevel, number>> = { error: 3, warn: 4, info: 6, debug: 7 };

/** The device and inode of a descriptor, as fstat gives them. */
export type StreamIdentity = { dev: bigint; ino: bigint };

export function stderrIsJournal(
  journalStream: string | undefined,
  stderr: () => StreamIdentity = () => fstatSync(2, { bigint: true }),
): boolean {
  const match = /^(\d+):(\d+)$/.exec(journalStream ?? '');
  if (!match) return false;
  try {
    const { dev, ino } = stderr();
    return dev === BigInt(match[1]!) && ino === BigInt(match[2]!);
  } catch {
    return false;
  }
}

/** Prefixes every line of a formatted record (journald reads each line apart). */
export function withSyslogPriority(level: LogLevel, text: string): string {
  const prefix = `<${SYSLOG_PRIORITY[level]}>`;
  return text.replace(/^(?=.)/gm, prefix);
}
