/**
 * Every command of the CLI, in the order --help lists them. Each module is
 * thin: options in `builder`, and a `handler` that lazily imports the
 * implementation and stores its exit code with setExitCode().
 */
import type { CommandModule } from 'yargs';

import { doctorCommand } from './doctor.js';
import { proxyCommand } from './proxy.js';
import { setupRoutingCommand } from './setup-routing.js';
import { topCommand } from './top.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [proxyCommand, doctorCommand, topCommand, setupRoutingCommand];

export { setExitCode } from './exit-code.js';
