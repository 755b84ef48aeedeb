/**
 * One flag set, one parser: every flag of the proxy, fed to each of the
 * three commands that take it (the proxy, `doctor`, `setup-routing`), one
 * dash and two, reaches the proxy's own parser as the same options; a bad
 * value is refused by all three with the same message.
 */
import assert from 'node:assert/strict';

import yargs, { type CommandModule } from 'yargs';

import { UsageError } from '../../../src/base/errors.js';
import { doctorCommand } from '../../../src/cli/commands/doctor.js';
import { proxyCommand } from '../../../src/cli/commands/proxy.js';
import { setupRoutingCommand } from '../../../src/cli/commands/setup-routing.js';
import { normaliseArgs } from '../../../src/cli/main.js';
import { flagLabel, PROXY_FLAGS } from '../../../src/config/proxy-flags.js';
import { parseProxyOptions, type ProxyOptions } from '../../../src/config/proxy-options.js';
import { SAMPLES, type FlagName } from './flag-samples.js';

const COMMANDS: [string | null, CommandModule][] = [
  [null, proxyCommand],
  ['doctor', doctorCommand],
  ['setup-routing', setupRoutingCommand],
];

/** argv through the real normalisation and the command's own builder; the handler only keeps the result. */
function optionsFrom(name: string | null, command: CommandModule, args: string[]): ProxyOptions {
  let parsed: unknown;
  yargs(normaliseArgs(name ? [name, ...args] : args))
    .strict()
    .exitProcess(false)
    .fail((message: string | undefined, error: Error | undefined) => {
      throw new UsageError(error?.message ?? message ?? 'invalid usage');
    })
    .command({ ...command, handler: (argv) => void (parsed = argv) })
    .parseSync();
  return parseProxyOptions(parsed as never);
}

function messageOf(body: () => unknown): string {
  try {
    body();
  } catch (error) {
    assert.ok(error instanceof UsageError, String(error));
    return error.message;
  }
  assert.fail('accepted');
}

describe('the proxy flags: one definition, one parser, three commands', function () {
  it('has a sample for every flag', function () {
    assert.deepEqual(Object.keys(SAMPLES).sort(), Object.keys(PROXY_FLAGS).sort());
  });

  for (const [flag, { value, bad }] of Object.entries(SAMPLES) as [FlagName, (typeof SAMPLES)[FlagName]][]) {
    const spellings = [flagLabel(flag), `--${flag}`].filter((spelling, i, all) => all.indexOf(spelling) === i);
    // A UDP proxy for the UDP-only flags, so every command sees a coherent setup.
    const context = ['-4', '127.0.0.1:22'];
    for (const spelling of spellings) {
      const args = [...context, spelling, ...(value === null ? [] : [value])];
      it(`${spelling}${value === null ? '' : ` ${value}`}: the same options from every command`, function () {
        const [proxy, ...others] = COMMANDS.map(([name, command]) => optionsFrom(name, command, args));
        const defaults = optionsFrom(null, proxyCommand, context);
        assert.notDeepEqual(proxy, defaults, `${spelling} changed nothing`);
        for (const other of others) assert.deepEqual(other, proxy);
      });
    }
    if (bad !== undefined) {
      it(`${flagLabel(flag)} ${JSON.stringify(bad)}: the same refusal from every command`, function () {
        const [proxy, ...others] = COMMANDS.map(([name, command]) =>
          messageOf(() => optionsFrom(name, command, [`--${flag}`, bad])),
        );
        for (const other of others) assert.equal(other, proxy);
      });
    }
  }
});
