/**
 * Keeps a flood of similar log lines (a port scan hitting -allowed-subnets, a
 * target that is down) from drowning the log: per key, at most `burst` lines a
 * window; the rest are counted and reported as one summary line.
 */

interface Window {
  startMs: number;
  written: number;
  suppressed: number;
}

export interface Suppressed {
  key: string;
  suppressed: number;
}

export class LineRateLimiter {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly burst: number,
    readonly windowMs: number,
  ) {}

  /**
   * Whether a line with this key may be written now. When it opens a new
   * window, `suppressedBefore` is the count the last window held back: the
   * caller reports it before the line.
   */
  admit(key: string, nowMs: number): { admitted: boolean; suppressedBefore: number } {
    let window = this.windows.get(key);
    let suppressedBefore = 0;
    if (!window || nowMs - window.startMs >= this.windowMs) {
      suppressedBefore = window?.suppressed ?? 0;
      window = { startMs: nowMs, written: 0, suppressed: 0 };
      this.windows.set(key, window);
    }
    if (window.written < this.burst) {
      window.written++;
      return { admitted: true, suppressedBefore };
    }
    window.suppressed++;
    return { admitted: false, suppressedBefore };
  }

  /** Counts held back by windows that have ended (all of them when `nowMs` is Infinity), and forgets those windows. */
  takeSuppressed(nowMs: number): Suppressed[] {
    const ended: Suppressed[] = [];
    for (const [key, window] of this.windows) {
      if (nowMs - window.startMs < this.windowMs) continue;
      if (window.suppressed > 0) ended.push({ key, suppressed: window.suppressed });
      this.windows.delete(key);
    }
    return ended;
  }
}
