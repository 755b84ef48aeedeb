/**
 * Where promtool is: on PATH when Debian's prometheus package is installed, else the copy scripts/bootstrap.sh
 * takes out of that package into .tools/ (installing the package would also start and enable a Prometheus server).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { packageRoot } from '../../src/base/package-info.js';

const INSTALLED = '/usr/bin/promtool';

/** The promtool to run, or null with why it is missing in `missing()`. */
export function promtoolPath(): string | null {
  const bootstrapped = join(packageRoot(), '.tools', 'promtool');
  if (existsSync(INSTALLED)) return INSTALLED;
  return existsSync(bootstrapped) ? bootstrapped : null;
}

export const PROMTOOL_MISSING =
  "promtool not found: bash scripts/bootstrap.sh puts it in .tools/ (from Debian's prometheus package)";
