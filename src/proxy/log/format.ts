/**
 * The two shapes of a log line on stderr. Text is for people:
 *   2026-11-25T20:01:02.345Z warn  connect_timeout: upstream … client=198.51.100.7:40001
 * JSON is one object a line, with slog's key names (time, level, msg) so that
 * tools reading go-mmproxy's logs find the same keys.
 */
import type { LogRecord, LogValue } from './record.js';

/** Bare when it is a plain token, else JSON-quoted, so key=value pairs stay splittable. */
function textValue(value: LogValue): string {
  const plain = String(value);
  return /^[^\s"=]+$/.test(plain) ? plain : JSON.stringify(plain);
}

export function formatText(record: LogRecord): string {
  const fields = Object.entries(record.fields)
    .map(([key, value]) => ` ${key}=${textValue(value)}`)
    .join('');
  const time = new Date(record.timeMs).toISOString();
  return `${time} ${record.level.padEnd(5)} ${record.kind}: ${record.message}${fields}\n`;
}

export function formatJson(record: LogRecord): string {
  return (
    JSON.stringify({
      time: new Date(record.timeMs).toISOString(),
      level: record.level,
      kind: record.kind,
      msg: record.message,
      ...record.fields,
    }) + '\n'
  );
}
