/**
 * A suite whose prerequisite is missing (root, a program, a kernel feature) FAILS, with the reason and the
 * command that installs it, unless MMPROXY_ALLOW_SKIP=1 is set: then it is skipped (pending), saying why. The
 * variable is a developer's local choice on a machine that cannot run everything; CI never sets it (.ci/run
 * unsets it), so a suite CI expects to run can never pass by not running.
 */

export const ALLOW_SKIP_VARIABLE = 'MMPROXY_ALLOW_SKIP';

export function skippingAllowed(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[ALLOW_SKIP_VARIABLE] === '1';
}

/**
 * In a mocha `before` or test: does nothing when `missing` is null; otherwise fails the suite (or test) with
 * `missing`, which says what is missing and how to install it, or skips it when skipping is allowed.
 *   before(function () { requirePrerequisite(this, haveHaproxy ? null : 'haproxy not found: apt-get install haproxy'); });
 */
export function requirePrerequisite(context: Mocha.Context, missing: string | null): void {
  if (missing === null) return;
  const title = context.currentTest?.fullTitle() ?? context.test?.parent?.fullTitle() ?? '';
  if (skippingAllowed()) {
    console.log(`      skipping "${title}" (${ALLOW_SKIP_VARIABLE}=1): ${missing}`);
    context.skip();
  }
  throw new Error(
    `"${title}" cannot run here: ${missing}. ` +
      `Install what is missing; or, on a machine that cannot run this suite, set ${ALLOW_SKIP_VARIABLE}=1 to skip it locally (never in CI).`,
  );
}
