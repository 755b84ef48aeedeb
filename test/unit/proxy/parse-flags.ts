/**
 * Runs argv through the same normalisation and yargs option table as the
 * real command, without its handler (which would start a proxy).
 */
import yargs, { type Argv } from 'yargs';

import { proxyCommand } from '../../../src/cli/commands/proxy.js';
import { normaliseGoFlags } from '../../../src/cli/go-flags.js';
import { UsageError } from '../../../src/cli/usage-error.js';
import { PROXY_GO_FLAG_SPEC, type RawProxyFlags } from '../../../src/proxy/flags.js';
import { parseProxyOptions, type ProxyOptions } from '../../../src/proxy/options.js';

export function parseRawFlags(args: string[]): RawProxyFlags {
  const base = yargs(normaliseGoFlags(args, PROXY_GO_FLAG_SPEC))
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
