/**
 * Loads the compiled addon once and hands it the TypeScript error class.
 * Everything the addon exports is typed in ./native-types.ts.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { NativeError } from './errors.js';
import type { NativeAddon } from './native-types.js';

const ADDON_FILE = 'mmproxy_native.node';

/** The package root: this file lives in dist/src/native/ after compilation. */
function packageRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
}

function candidatePaths(root: string): string[] {
  const fromEnv = process.env['MMPROXY_NATIVE'];
  const builds = ['Release', 'Debug'].map((kind) => join(root, 'build', kind, ADDON_FILE));
  return fromEnv ? [fromEnv, ...builds] : builds;
}

let loaded: NativeAddon | undefined;

export function native(): NativeAddon {
  if (loaded) return loaded;
  const root = packageRoot();
  const tried = candidatePaths(root);
  const found = tried.find((path) => existsSync(path));
  if (!found) {
    throw new Error(
      `mmproxy's native addon is not built; looked in:\n  ${tried.join('\n  ')}\n` +
        `Build it with: (cd ${root} && npm run build:native), or run: bash scripts/bootstrap.sh`,
    );
  }
  const addon = createRequire(import.meta.url)(found) as NativeAddon;
  addon.setErrorClass(NativeError);
  loaded = addon;
  return addon;
}
