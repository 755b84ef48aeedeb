/**
 * The stats socket's wire protocol: one JSON object per line each way.
 *   → {"cmd":"snapshot"}                      ← one StatsSnapshot
 *   → {"cmd":"subscribe","intervalMs":1000}   ← a StatsSnapshot now and every intervalMs, until either side closes
 *   ← {"error":{"code":"…","message":"…"}}    on anything the server will not do
 * Shared by the server and the client so both agree on limits and codes.
 */

/** A request line longer than this (in characters) is refused: requests are tiny, so this is abuse or a wrong peer. */
export const MAX_REQUEST_CHARS = 4096;
export const DEFAULT_INTERVAL_MS = 1000;
/** Faster than this costs the proxy CPU for no visible gain. */
export const MIN_INTERVAL_MS = 100;
export const MAX_INTERVAL_MS = 60_000;

export type StatsRequest = { cmd: 'snapshot' } | { cmd: 'subscribe'; intervalMs: number };

export const STATS_ERROR_CODES = [
  'bad_request',
  'unknown_command',
  'request_too_large',
  'request_timeout',
  'too_many_clients',
  'already_subscribed',
  'internal',
] as const;
export type StatsErrorCode = (typeof STATS_ERROR_CODES)[number];

export interface StatsErrorReply {
  error: { code: StatsErrorCode; message: string };
}

export function errorLine(code: StatsErrorCode, message: string): string {
  return `${JSON.stringify({ error: { code, message } } satisfies StatsErrorReply)}\n`;
}

export function isErrorReply(value: unknown): value is StatsErrorReply {
  if (typeof value !== 'object' || value === null || !('error' in value)) return false;
  const { error } = value;
  return typeof error === 'object' && error !== null && 'code' in error && 'message' in error;
}

export type ParsedRequest = { ok: true; request: StatsRequest } | { ok: false; reply: StatsErrorReply };

function refuse(code: StatsErrorCode, message: string): ParsedRequest {
  return { ok: false, reply: { error: { code, message } } };
}

export function parseRequest(line: string): ParsedRequest {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return refuse('bad_request', 'a request is one JSON object per line, e.g. {"cmd":"snapshot"}');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return refuse('bad_request', 'a request is a JSON object, e.g. {"cmd":"snapshot"}');
  }
  const { cmd, intervalMs } = value as { cmd?: unknown; intervalMs?: unknown };
  if (cmd === 'snapshot') return { ok: true, request: { cmd } };
  if (cmd === 'subscribe') {
    const interval = intervalMs ?? DEFAULT_INTERVAL_MS;
    if (
      typeof interval !== 'number' ||
      !Number.isInteger(interval) ||
      interval < MIN_INTERVAL_MS ||
      interval > MAX_INTERVAL_MS
    ) {
      return refuse(
        'bad_request',
        `intervalMs must be an integer from ${MIN_INTERVAL_MS} to ${MAX_INTERVAL_MS} (milliseconds)`,
      );
    }
    return { ok: true, request: { cmd, intervalMs: interval } };
  }
  return refuse('unknown_command', `unknown cmd ${JSON.stringify(cmd)}; known: "snapshot", "subscribe"`);
}

/**
 * Splits a text stream into lines without holding more than `maxLineChars`
 * of an unfinished line. push() returns the complete non-blank lines, or null
 * once a line has grown past the limit (the stream is then unusable).
 */
export class LineSplitter {
  private pending = '';

  constructor(private readonly maxLineChars: number) {}

  push(chunk: string): string[] | null {
    const lines: string[] = [];
    let start = 0;
    for (let end = chunk.indexOf('\n'); end !== -1; end = chunk.indexOf('\n', start)) {
      lines.push(this.pending + chunk.slice(start, end));
      this.pending = '';
      start = end + 1;
    }
    this.pending += chunk.slice(start);
    if (this.pending.length > this.maxLineChars) return null;
    if (lines.some((line) => line.length > this.maxLineChars)) return null;
    return lines.map((line) => line.replace(/\r$/, '')).filter((line) => line.trim() !== '');
  }
}
