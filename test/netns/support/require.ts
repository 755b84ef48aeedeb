/** Skipping a namespace suite when this machine cannot run it, saying why. */
import { existsSync } from 'node:fs';

import { netnsUnavailableReason } from '../../../lab/index.js';

/**
 * In a mocha `before`: skips the suite, printing why, when namespaces cannot be used.
 *   before(function () { requireNetns(this); });
 */
export function requireNetns(context: Mocha.Context): void {
  skipIf(context, netnsUnavailableReason());
}

/** In a mocha `before`: skips, printing why, when a program the suite runs is missing. */
export function requireProgram(context: Mocha.Context, path: string, debianPackage: string): void {
  skipIf(context, existsSync(path) ? null : `${path} not found: install it with apt-get install ${debianPackage}`);
}

function skipIf(context: Mocha.Context, reason: string | null): void {
  if (reason === null) return;
  console.log(`      skipping "${context.test?.parent?.fullTitle() ?? ''}": ${reason}`);
  context.skip();
}
