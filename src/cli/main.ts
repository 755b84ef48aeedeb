/**
 * The command line: yargs with one module per command. main() takes argv so
 * tests can drive it; it resolves to the process exit code.
 */
import type { Argv } from 'yargs';

import { normaliseGoFlags } from '../config/go-flags.js';
import { goFlagSpec } from '../config/proxy-flags.js';
import { COMMAND_NAMES, PROXY_COMMAND_FLAGS, PROXY_FLAG_SUBCOMMANDS, withCommands } from './commands/index.js';
import { lightYargs } from './light-yargs.js';
import { helpHint, usageMessage } from './usage-message.js';
import { UsageError } from '../base/errors.js';
import { versionLine } from '../base/package-info.js';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/**
 * go-mmproxy's spellings (`-mark 1`, `-4 ADDR`) for the commands that take the
 * proxy's flags: the default command, and the subcommands that take them too.
 */
export function normaliseArgs(args: readonly string[]): string[] {
  const [first, ...rest] = args;
  if (first === undefined || first.startsWith('-')) return normaliseGoFlags(args, goFlagSpec(PROXY_COMMAND_FLAGS));
  const extras = PROXY_FLAG_SUBCOMMANDS[first];
  return extras ? [first, ...normaliseGoFlags(rest, goFlagSpec(extras))] : [...args];
}

interface YargsInternals {
  getInternalMethods?: () => { getUsageInstance(): { cacheHelpMessage?: () => void } };
}

/**
 * yargs renders a subcommand's whole help text before it runs the handler,
 * in case the handler asks for it (yargs/build/lib/command.js,
 * cacheHelpMessage). No handler here does (a usage error prints one line, see
 * main below), and for doctor's options the rendering costs 0.1 to 0.3 s of
 * CPU, as much as the doctor's own checks: skip it. --help renders on demand.
 */
function skipHelpCache(parser: Argv): void {
  const usage = (parser as unknown as YargsInternals).getInternalMethods?.().getUsageInstance();
  if (usage?.cacheHelpMessage) usage.cacheHelpMessage = () => undefined;
}

export function buildParser(args: string[]): Argv {
  const parser = lightYargs(normaliseArgs(args))
    .scriptName('mmproxy')
    .strict()
    .help()
    .alias('h', 'help')
    // -V, not -v: -v is go-mmproxy's verbosity.
    .version('version', 'Show the version, the commit it was built from and the node running it', versionLine())
    .alias('V', 'version')
    // `mmproxy completion >> ~/.bashrc` (bash, or zsh): commands and flags complete on Tab.
    .completion('completion', 'Print a shell completion script for bash or zsh (mmproxy completion >> ~/.bashrc)')
    .wrap(Math.min(100, process.stdout.columns ?? 100));
  skipHelpCache(parser);
  return withCommands(parser);
}

export async function main(args: string[]): Promise<number> {
  // yargs prints the script for its completion command and then, with exitProcess(false), goes on to parse
  // `completion` as the proxy's stray word; printing it here is all the command does.
  if (args.length === 1 && args[0] === 'completion') {
    buildParser([]).showCompletionScript();
    return EXIT_OK;
  }
  let exitCode = EXIT_OK;
  const parser = buildParser(args)
    .exitProcess(false)
    .fail((message: string | undefined, error: Error | undefined, usage: unknown) => {
      // yargs' own validation errors (YError) are usage errors too. Throwing,
      // not just recording, keeps yargs from running the handler after all.
      if (error instanceof UsageError) throw error;
      if (error && error.name !== 'YError') throw error;
      // yargs hands its usage object here (typed as the parser): its descriptions are the flags of the
      // command being parsed. Read defensively: without them there is no suggestion, nothing worse.
      const described = (usage as { getDescriptions?: () => object } | undefined)?.getDescriptions?.() ?? {};
      const known = Object.keys(described);
      throw new UsageError(usageMessage(error?.message ?? message ?? 'invalid usage', known, args));
    });
  try {
    const result = (await parser.parseAsync()) as { exitCode?: unknown };
    if (typeof result.exitCode === 'number') exitCode = result.exitCode;
  } catch (error) {
    if (error instanceof UsageError) {
      const lines = error.message.split('\n').map((line) => `mmproxy: ${line}\n`);
      process.stderr.write(`${lines.join('')}${helpHint(args, COMMAND_NAMES)}\n`);
      return EXIT_USAGE;
    }
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    process.stderr.write(
      `mmproxy: internal error: ${detail}\n` +
        'This is a bug in mmproxy; please report it with the command line you ran and this output.\n',
    );
    return EXIT_FAILURE;
  }
  return exitCode;
}
