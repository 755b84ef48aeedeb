/**
 * src/cli/light-yargs.ts builds yargs' own factory with a copy of yargs' own platform shim: the copy must keep the
 * shim's shape, render the same help, and leave the help renderer unloaded until help is asked for.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import yargs from 'yargs';

import { packageRoot } from '../../../src/base/package-info.js';
import { withCommands } from '../../../src/cli/commands/index.js';
import { lightShim, lightYargs } from '../../../src/cli/light-yargs.js';

/** Every key of a shim, nested objects' keys as `outer.inner`. */
function shape(shim: object, prefix = ''): string[] {
  return Object.entries(shim)
    .flatMap(([key, value]: [string, unknown]) =>
      value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype
        ? shape(value, `${prefix}${key}.`)
        : [`${prefix}${key}:${typeof value}`],
    )
    .sort();
}

/** Runs `code` (an ES module) in a fresh node and returns what it prints. */
function inFreshNode(code: string): string {
  return execFileSync(process.execPath, ['--input-type=module', '-e', code], {
    cwd: packageRoot(),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
}

describe("light-yargs: yargs' factory, its help renderer loaded on demand", function () {
  it("has the shape of yargs' own platform shim", async function () {
    const shimUrl = pathToFileURL(join(packageRoot(), 'node_modules/yargs/lib/platform-shims/esm.mjs')).href;
    const yargsShim = ((await import(shimUrl)) as { default: object }).default;
    assert.deepEqual(shape(lightShim), shape(yargsShim));
  });

  it("renders every command's help as yargs' own entry does", async function () {
    const help = (factory: typeof yargs) => withCommands(factory([]).scriptName('mmproxy').wrap(100)).getHelp();
    assert.equal(await help(lightYargs), await help(yargs));
  });

  it('loads cliui and string-width only once help is rendered', function () {
    this.timeout(20_000);
    const printed = inFreshNode(`
      import { createRequire } from 'node:module';
      const { main } = await import('./dist/src/cli/main.js');
      const cache = createRequire(import.meta.url).cache;
      const renderer = () => Object.keys(cache).filter((path) => /node_modules\\/(cliui|string-width)\\//.test(path));
      const print = process.stdout.write.bind(process.stdout);
      process.stderr.write = () => true;
      process.stdout.write = () => true;
      await main(['--no-such-flag']);
      const beforeHelp = renderer().length;
      await main(['--help']);
      print(JSON.stringify({ beforeHelp, afterHelp: renderer().length }) + '\\n');
    `);
    const { beforeHelp, afterHelp } = JSON.parse(printed.trim().split('\n').pop()!) as Record<string, number>;
    assert.equal(beforeHelp, 0);
    assert.ok(afterHelp! >= 2, `cliui and string-width are loaded for --help (${afterHelp} files)`);
  });
});
