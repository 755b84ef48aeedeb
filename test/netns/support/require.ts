/** A namespace suite's prerequisites: missing, it fails saying why, or is skipped with MMPROXY_ALLOW_SKIP=1. */
import { existsSync } from 'node:fs';

import { netnsUnavailableReason } from '../../../lab/index.js';
import { requirePrerequisite } from '../../support/prerequisite.js';

/**
 * In a mocha `before`: fails the suite, saying why, when namespaces cannot be used (skips it, saying why,
 * with MMPROXY_ALLOW_SKIP=1).
 *   before(function () { requireNetns(this); });
 */
export function requireNetns(context: Mocha.Context): void {
  requirePrerequisite(context, netnsUnavailableReason());
}

/** In a mocha `before`: the same when a program the suite runs is missing. */
export function requireProgram(context: Mocha.Context, path: string, debianPackage: string): void {
  requirePrerequisite(
    context,
    existsSync(path) ? null : `${path} not found: install it with apt-get install ${debianPackage}`,
  );
}
