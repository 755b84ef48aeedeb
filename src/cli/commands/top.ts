/** `mmproxy top`: the live view of a running proxy's flows. */
import type { Argv, CommandModule } from 'yargs';

import { UsageError } from '../../base/errors.js';
import { setExitCode } from './exit-code.js';

const MIN_INTERVAL_SECONDS = 0.1;
const MAX_INTERVAL_SECONDS = 60;

export const TOP_FLAGS = {
  // Spelled as the proxy's flag, so the path can be copied from its command line; --socket is the older name.
  'stats-socket': {
    type: 'string',
    alias: 'socket',
    requiresArg: true,
    describe: "The proxy's stats socket, as given to its --stats-socket (default: the only one under /run/mmproxy/)",
  },
  once: {
    type: 'boolean',
    default: false,
    describe: 'Print one frame as plain text and exit (for scripts)',
  },
  interval: {
    type: 'number',
    default: 1,
    describe: 'Seconds between refreshes',
  },
  listener: {
    type: 'string',
    requiresArg: true,
    describe: "Show this listener's flows only (a name from the proxy's config file; l cycles through them)",
  },
} as const;

export const topCommand: CommandModule<
  object,
  { 'stats-socket'?: string; once: boolean; interval: number; listener?: string }
> = {
  command: 'top',
  describe: "Live view of a running proxy's flows (? keys, q quit, s sort, r reverse, p pause, / filter, l listener)",
  builder: (yargs: Argv) => yargs.options(TOP_FLAGS),
  handler: async (argv) => {
    // Checked here rather than in .check(): a failed check must not still run the view.
    if (!(argv.interval >= MIN_INTERVAL_SECONDS && argv.interval <= MAX_INTERVAL_SECONDS)) {
      throw new UsageError(`--interval must be from ${MIN_INTERVAL_SECONDS} to ${MAX_INTERVAL_SECONDS} seconds`);
    }
    const { runTop } = await import('../../tui/run-top.js');
    setExitCode(
      argv,
      await runTop({
        socket: argv['stats-socket'],
        once: argv.once,
        intervalMs: Math.round(argv.interval * 1000),
        listener: argv.listener,
      }),
    );
  },
};
