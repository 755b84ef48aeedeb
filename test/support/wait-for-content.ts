/**
 * Waits until an ink frame shows something (a string or a pattern), and
 * returns that frame; the failure message includes the last frame seen.
 */
import { waitFor } from './wait-for.js';

export async function waitForContent(
  lastFrame: () => string | undefined,
  expected: string | RegExp,
  limitMs = 5000,
): Promise<string> {
  const matches = (frame: string): boolean =>
    typeof expected === 'string' ? frame.includes(expected) : expected.test(frame);
  try {
    return await waitFor(
      `content ${String(expected)}`,
      () => {
        const frame = lastFrame() ?? '';
        return matches(frame) ? frame : undefined;
      },
      limitMs,
    );
  } catch {
    throw new Error(`the frame never showed ${String(expected)}; last frame:\n${lastFrame() ?? '(none)'}`);
  }
}

export function frameLines(frame: string): string[] {
  return frame.split('\n');
}
