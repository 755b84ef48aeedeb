/**
 * Loads the compiled addon once and hands it the TypeScript error class.
 * Everything the addon exports is typed in ./native-types.ts.
 *
 * Where it looks, in order: $MMPROXY_NATIVE (a sanitized build, say), a build
 * from source in build/ (a clone, or an install where no prebuilt fitted), then
 * the prebuilt addon the package ships in prebuilds/<platform>-<arch>/, chosen
 * by node-gyp-build by platform, architecture and libc.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { packageRoot } from '../base/package-info.js';
import { NativeError } from './errors.js';
import type { NativeAddon } from './native-types.js';

const ADDON_FILE = 'mmproxy_native.node';

const require = createRequire(import.meta.url);

interface NodeGypBuild {
  /** The prebuilt (or built) addon that fits this process; throws saying what it looked for. */
  resolve(dir: string): string;
}

/** The explicit files, in order: $MMPROXY_NATIVE, then build/Release and build/Debug. */
function builtPaths(root: string): string[] {
  const fromEnv = process.env['MMPROXY_NATIVE'];
  const builds = ['Release', 'Debug'].map((kind) => join(root, 'build', kind, ADDON_FILE));
  return fromEnv ? [fromEnv, ...builds] : builds;
}

/** The prebuilt addon for this platform, or why none fits (node-gyp-build's own account). */
function prebuiltPath(root: string): { path: string } | { why: string } {
  try {
    const path = (require('node-gyp-build') as NodeGypBuild).resolve(root);
    return existsSync(path) ? { path } : { why: `${path} does not exist` };
  } catch (error) {
    return { why: error instanceof Error ? error.message.trim() : String(error) };
  }
}

/** Where the addon is, or an error that says every place tried and how to build one. */
export function findAddon(root: string = packageRoot()): string {
  const built = builtPaths(root);
  const found = built.find((path) => existsSync(path));
  if (found) return found;
  const prebuilt = prebuiltPath(root);
  if ('path' in prebuilt) return prebuilt.path;
  const prebuildDir = join(root, 'prebuilds', `${process.platform}-${process.arch}`);
  throw new Error(
    `mmproxy's native addon was not found; looked in:\n  ${built.join('\n  ')}\n` +
      `  ${prebuildDir}/ (prebuilt: ${prebuilt.why.replace(/\s*\n\s*/g, '; ')})\n` +
      `Build it from source (needs g++, make and python3) with: (cd ${root} && npm run build:native)`,
  );
}

let loaded: NativeAddon | undefined;

export function native(): NativeAddon {
  if (loaded) return loaded;
  const addon = require(findAddon()) as NativeAddon;
  addon.setErrorClass(NativeError);
  loaded = addon;
  return addon;
}
