/**
 * Numbers and addresses as `mmproxy top` prints them: compact enough that
 * a flow fits on one line of an 80-column terminal.
 */
import { formatEndpoint, type Endpoint } from '../../base/net/endpoint.js';

const UNITS = ['B', 'K', 'M', 'G', 'T', 'P'];

/** 1024-based, at most four characters: "999B", "9.5K", "312M". */
export function formatBytes(bytes: number): string {
  let value = Math.max(0, bytes);
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = unit > 0 && value < 10 ? value.toFixed(1) : String(Math.round(value));
  return `${digits}${UNITS[unit]}`;
}

export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(bytesPerSecond)}/s`;
}

/** "42s", "3m07s", "2h05m", "3d04h". */
export function formatAge(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const two = (n: number): string => String(n).padStart(2, '0');
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${two(s % 60)}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${two(Math.floor((s % 3600) / 60))}m`;
  return `${Math.floor(s / 86_400)}d${two(Math.floor((s % 86_400) / 3600))}h`;
}

/** As the command line writes it; "-" where a flow has none yet (no header parsed, no target chosen). */
export function endpointCell(endpoint: Endpoint | null): string {
  return endpoint ? formatEndpoint(endpoint) : '-';
}

const BARS = '▁▂▃▄▅▆▇█';

/** The last `width` values as bars scaled to their maximum; blank when there is nothing to draw. */
export function sparkline(values: readonly number[], width: number): string {
  const shown = values.slice(-Math.max(0, width));
  const max = Math.max(0, ...shown);
  if (shown.length === 0) return '';
  return shown
    .map((value) =>
      max === 0 ? BARS[0] : BARS[Math.min(BARS.length - 1, Math.floor((value / max) * (BARS.length - 1)))],
    )
    .join('');
}

/** Pads or cuts to exactly `width` characters; cut text ends in "…". */
export function fit(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  if (width <= 0) return '';
  if (text.length > width) return width === 1 ? '…' : `${text.slice(0, width - 1)}…`;
  return align === 'left' ? text.padEnd(width) : text.padStart(width);
}

/** Like fit(), but keeps both ends: addresses differ at the start and the port. */
export function fitMiddle(text: string, width: number): string {
  if (text.length <= width || width < 5) return fit(text, width);
  const tail = Math.floor((width - 1) / 2);
  const head = width - 1 - tail;
  return `${text.slice(0, head)}…${text.slice(text.length - tail)}`;
}
