/**
 * Every command of the CLI, in the order --help lists them. Each module is
 * thin: options in `builder`, and a `handler` that lazily imports the
 * implementation and stores its exit code with setExitCode().
 */
import type { CommandModule } from 'yargs';

import { proxyCommand } from './proxy.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [proxyCommand];

export { setExitCode } from './exit-code.js';
