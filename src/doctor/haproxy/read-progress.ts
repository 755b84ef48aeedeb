/** A one-line progress report while a long HAProxy log is read, redrawn in place on a terminal. */

// Often enough to look alive, rarely enough to cost nothing.
const REDRAW_MS = 250;

export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

const MIB = 1024 * 1024;

/** "haproxy.log: 512 of 1024 MiB (50 %), 3712000 lines" (the size and share only when known). */
export function progressLine(label: string, bytes: number, totalBytes: number | null, lines: number): string {
  const read = Math.round(bytes / MIB);
  const size =
    totalBytes && totalBytes > 0
      ? `${read} of ${Math.round(totalBytes / MIB)} MiB (${Math.floor((100 * bytes) / totalBytes)} %)`
      : `${read} MiB`;
  return `reading ${label}: ${size}, ${lines} lines`;
}

/**
 * The progress callback for tallyHaproxyLog and a `done` that clears the line; both do nothing unless the
 * stream is a terminal, so redirected output stays clean.
 */
export function terminalProgress(
  stream: ProgressStream | undefined,
  label: string,
  totalBytes: number | null,
  now: () => number = Date.now,
): { update: (bytes: number, lines: number) => void; done: () => void } {
  if (!stream?.isTTY) return { update: () => undefined, done: () => undefined };
  let last = now();
  let shown = false;
  return {
    update(bytes, lines) {
      if (now() - last < REDRAW_MS) return;
      last = now();
      shown = true;
      stream.write(`\r\x1b[2K${progressLine(label, bytes, totalBytes, lines)}`);
    },
    done() {
      if (shown) stream.write('\r\x1b[2K');
    },
  };
}
