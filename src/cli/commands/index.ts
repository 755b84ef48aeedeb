/**
 * Every command of the CLI, in the order --help lists them. Each module is
 * thin: options in `builder`, and a `handler` that lazily imports the
 * implementation and stores its exit code with setExitCode().
 */
import type { Argv } from 'yargs';

import { doctorCommand } from './doctor.js';
import { proxyCommand } from './proxy.js';
import { setupRoutingCommand } from './setup-routing.js';
import { topCommand } from './top.js';

/** Adds each command to the parser, each with its own argument types. */
export function withCommands(parser: Argv): Argv {
  return parser.command(proxyCommand).command(doctorCommand).command(topCommand).command(setupRoutingCommand);
}

export { setExitCode } from './exit-code.js';
