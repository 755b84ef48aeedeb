/**
 * yargs, with its help renderer loaded only when help is rendered.
 *
 * yargs' ESM entry (yargs/index.mjs) hands its factory a platform shim
 * (yargs/lib/platform-shims/esm.mjs) that imports cliui up front, and with it
 * wrap-ansi and three copies of string-width: an Intl.Segmenter and
 * \p{RGI_Emoji} regular expressions, built at import: 4.4 MiB of a fresh
 * proxy's resident memory (63.1 -> 58.7 MiB), while only --help draws a table.
 * This is the same factory with the same shim, except that cliui and stringWidth are
 * required when first called. Every module is resolved from yargs' own
 * directory, so each is the copy yargs itself would load; require() of an ES
 * module is synchronous from Node 20.19 (package.json's engines).
 * test/unit/cli/light-yargs.test.ts holds this shim's shape to yargs' own, and
 * package.json pins yargs to the version tested: this file reaches into its build/ files, which a
 * minor release may move.
 */
import { createRequire } from 'node:module';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, extname, join, relative, resolve } from 'node:path';
import { notStrictEqual, strictEqual } from 'node:assert';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';
import type yargsFactory from 'yargs';

type Yargs = typeof yargsFactory;

/** yargs' entry, yargs/index.mjs: the directory every module below is resolved from. */
const YARGS_ENTRY = fileURLToPath(import.meta.resolve('yargs'));
const requireFromYargs = createRequire(YARGS_ENTRY);

type Loaded = Record<string, unknown>;
const yargsFile = (path: string): Loaded => requireFromYargs(join(dirname(YARGS_ENTRY), path)) as Loaded;
const yargsDependency = <T>(name: string): T => requireFromYargs(name) as T;

type Callable = (...args: never[]) => unknown;

/** A function whose module is required on the function's first call. */
function onFirstCall<F extends Callable>(get: () => F): F {
  let loaded: F | undefined;
  return ((...args: Parameters<F>) => {
    loaded ??= get();
    return loaded(...args);
  }) as F;
}

const { YargsFactory } = yargsFile('build/lib/yargs-factory.js') as { YargsFactory: (shim: object) => Yargs };
const { getProcessArgvBin } = yargsFile('build/lib/utils/process-argv.js') as { getProcessArgvBin: () => string };
const getCallerFile = yargsDependency<(position?: number) => string>('get-caller-file');
const y18n = yargsDependency<(options: { directory: string; updateFiles: boolean }) => object>('y18n');
const mainFilename = YARGS_ENTRY.substring(0, YARGS_ENTRY.lastIndexOf('node_modules'));

/** yargs/lib/platform-shims/esm.mjs, but for when cliui and string-width load. */
export const lightShim = {
  assert: { notStrictEqual, strictEqual },
  cliui: onFirstCall(() => yargsDependency<Callable>('cliui')),
  findUp: yargsDependency<unknown>('escalade/sync'),
  getEnv: (key: string) => process.env[key],
  inspect,
  getProcessArgvBin,
  mainFilename: mainFilename || process.cwd(),
  Parser: yargsDependency<unknown>('yargs-parser'),
  path: { basename, dirname, extname, relative, resolve, join },
  process: {
    argv: () => process.argv,
    cwd: () => process.cwd(),
    emitWarning: (warning: string | Error, type?: string) => process.emitWarning(warning, type),
    execPath: () => process.execPath,
    exit: (code?: number) => process.exit(code),
    nextTick: (callback: () => void) => process.nextTick(callback),
    stdColumns: typeof process.stdout.columns !== 'undefined' ? process.stdout.columns : null,
  },
  readFileSync,
  readdirSync,
  require: requireFromYargs,
  // getCallerFile(3) as in yargs' shim: this arrow has the same place in the stack as yargs' own.
  getCallerFile: () => {
    const callerFile = getCallerFile(3);
    return callerFile.startsWith('file://') ? fileURLToPath(callerFile) : callerFile;
  },
  stringWidth: onFirstCall(() => yargsDependency<{ default: Callable }>('string-width').default),
  y18n: y18n({ directory: resolve(dirname(YARGS_ENTRY), 'locales'), updateFiles: false }),
};

/** Use as yargs' default export. */
export const lightYargs: Yargs = YargsFactory(lightShim);
