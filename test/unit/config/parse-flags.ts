/**
 * Runs argv through the same normalisation and yargs option table as the
 * real command, without its handler (which would start a proxy).
 */
import yargs, { type Argv } from 'yargs';

import { proxyCommand } from '../../../src/cli/commands/proxy.js';
import { UsageError } from '../../../src/base/errors.js';
import { normaliseArgs } from '../../../src/cli/main.js';
import type { RawProxyFlags } from '../../../src/config/proxy-flags.js';
import { parseProxyOptions, type ProxyOptions } from '../../../src/config/proxy-options.js';

export function parseRawFlags(args: string[]): RawProxyFlags {
  const base = yargs(normaliseArgs(args))
    .strict()
    .exitProcess(false)
    .fail((message: string | undefined, error: Error | undefined) => {
      throw new UsageError(error?.message ?? message ?? 'invalid usage');
    });
  const build = proxyCommand.builder as (parser: Argv) => Argv;
  return build(base).parseSync() as RawProxyFlags;
}

export function parseFlags(args: string[]): ProxyOptions {
  return parseProxyOptions(parseRawFlags(args));
}
