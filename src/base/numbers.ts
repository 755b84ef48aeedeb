/**
 * Numbers and durations as the command line writes them. Integers follow Go's
 * flag package (strconv.ParseInt with base 0), so `-mark 0x10` works as it
 * does with go-mmproxy; durations are seconds, or a number with ms/s/m/h.
 */

const GO_INTEGER = /^([+-]?)(0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO]?[0-7_]+|[1-9][0-9_]*|0)$/;

/** A Go-style integer literal ("42", "0x2a", "0o52", "052", "0b101010"), or null. */
export function parseGoInteger(text: string): number | null {
  const match = GO_INTEGER.exec(text.trim());
  if (!match) return null;
  const [, sign, body] = match;
  const digits = body!.replaceAll('_', '');
  let value: number;
  if (/^0[xX]/.test(digits)) value = parseInt(digits.slice(2), 16);
  else if (/^0[bB]/.test(digits)) value = parseInt(digits.slice(2), 2);
  else if (/^0[oO]/.test(digits)) value = parseInt(digits.slice(2), 8);
  else if (digits.length > 1 && digits.startsWith('0')) value = parseInt(digits.slice(1), 8);
  else value = parseInt(digits, 10);
  if (!Number.isSafeInteger(value)) return null;
  return sign === '-' ? -value : value;
}

const DURATION = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)?$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Whole milliseconds in the largest unit parseDurationMs() reads that divides them: 1ms, 90s, 24h. */
export function formatDurationMs(ms: number): string {
  for (const unit of ['h', 'm', 's'] as const) {
    const size = UNIT_MS[unit]!;
    if (ms !== 0 && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** "5" (seconds), "1.5s", "500ms", "2m", "1h" into whole milliseconds, or null. */
export function parseDurationMs(text: string): number | null {
  const match = DURATION.exec(text.trim());
  if (!match) return null;
  const ms = Number(match[1]) * UNIT_MS[match[2] ?? 's']!;
  return Number.isFinite(ms) ? Math.round(ms) : null;
}
