/**
 * Every bound in the namespace tests is a hang guard, not a timing: a wait ends as soon as its condition holds.
 * Under the sanitizers (scripts/asan-netns.sh) every node process starts and runs several times slower, so that
 * run sets MMPROXY_TEST_TIME_SCALE and the guards stretch by it: the kit's commands and waits here, and every
 * mocha timeout through ./scaled-timeouts.ts.
 */
const SCALE_VARIABLE = 'MMPROXY_TEST_TIME_SCALE';

function readScale(text: string | undefined): number {
  if (text === undefined || text === '') return 1;
  const scale = Number(text);
  if (!Number.isFinite(scale) || scale < 1)
    throw new Error(`${SCALE_VARIABLE}=${text}: expected a number of at least 1`);
  return scale;
}

export const TIME_SCALE = readScale(process.env[SCALE_VARIABLE]);

/** The hang guard of `ms` milliseconds for this run. */
export function scaled(ms: number): number {
  return Math.round(ms * TIME_SCALE);
}

/** A bound as asked for and as stretched, for messages: "200ms", or "200ms × 3" in a stretched run. */
export function describeBound(ms: number): string {
  return TIME_SCALE === 1 ? `${ms}ms` : `${ms}ms × ${TIME_SCALE}`;
}
