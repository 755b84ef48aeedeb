/**
 * A copy of compiled code that another user can load. The clone may sit where only root can read (/root, mode
 * 700, the usual place on a fresh machine), so a test that runs code as an unprivileged user runs a copy of it
 * in a fresh temporary directory, every directory 0755 and every file 0644 whatever the umask of the build.
 */
import { chmodSync, cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const READABLE_DIRECTORY = 0o755;
const READABLE_FILE = 0o644;

function makeReadable(path: string): void {
  chmodSync(path, READABLE_DIRECTORY);
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) makeReadable(child);
    else chmodSync(child, READABLE_FILE);
  }
}

export interface ReadableCopy {
  /** Where the copy of `source` is. */
  directory: string;
  remove(): void;
}

/**
 * Copies the compiled tree `source` (for example dist/src; its JavaScript only, with node: imports and
 * relative ones, no packages) and marks it an ES module package, as the clone's package.json does.
 */
export function readableCopy(source: string): ReadableCopy {
  const root = mkdtempSync(join(tmpdir(), 'mmproxy-readable-'));
  const directory = join(root, 'code');
  cpSync(source, directory, { recursive: true, filter: (path) => !path.endsWith('.map') });
  writeFileSync(join(root, 'package.json'), '{ "type": "module" }\n');
  makeReadable(root);
  return { directory, remove: () => rmSync(root, { recursive: true, force: true }) };
}
