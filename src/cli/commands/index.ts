/**
 * Every command of the CLI, in the order --help lists them. Each module is
 * thin: options in `builder`, and a `handler` that lazily imports the
 * implementation and stores its exit code with setExitCode().
 */
import type { Argv } from 'yargs';

import type { FlagTable } from '../../config/proxy-flags.js';
import { checkConfigCommand } from './check-config.js';
import { DOCTOR_FLAGS, doctorCommand } from './doctor.js';
import { installServiceCommand } from './install-service.js';
import { PROXY_COMMAND_FLAGS, proxyCommand } from './proxy.js';
import { sendCommand } from './send.js';
import { SETUP_ROUTING_FLAGS, setupRoutingCommand } from './setup-routing.js';
import { topCommand } from './top.js';

/** Adds each command to the parser, each with its own argument types. */
export function withCommands(parser: Argv): Argv {
  return parser
    .command(proxyCommand)
    .command(doctorCommand)
    .command(topCommand)
    .command(setupRoutingCommand)
    .command(checkConfigCommand)
    .command(sendCommand)
    .command(installServiceCommand);
}

/** The subcommands' names, as typed after `mmproxy`. */
export const COMMAND_NAMES: readonly string[] = [
  doctorCommand,
  topCommand,
  setupRoutingCommand,
  checkConfigCommand,
  sendCommand,
  installServiceCommand,
].map((module) => String(module.command).split(' ')[0]!);

/** The subcommands that take every flag of the proxy, with their own flags beside them. */
export const PROXY_FLAG_SUBCOMMANDS: Readonly<Record<string, FlagTable>> = {
  doctor: DOCTOR_FLAGS,
  'setup-routing': SETUP_ROUTING_FLAGS,
};

export { setExitCode } from './exit-code.js';
export { PROXY_COMMAND_FLAGS };
