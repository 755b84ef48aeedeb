/**
 * `mmproxy setup-routing [proxy flags]`: adds the policy routing the proxy
 * with these flags needs, once (a second run adds nothing); for a systemd
 * unit's ExecStartPre. Takes every flag of the proxy, one dash or two, so the
 * unit passes both the same arguments.
 */
import type { Argv, CommandModule } from 'yargs';

import { asYargsOptions, PROXY_FLAGS } from '../../config/proxy-flags.js';
import { setExitCode } from './exit-code.js';

const GROUP = 'setup-routing:';

/** setup-routing's own flags, beside the proxy's. */
export const SETUP_ROUTING_FLAGS = {
  table: {
    type: 'string',
    requiresArg: true,
    describe: 'routing table for rules this adds (default: 123, else the first free one from 100)',
    group: GROUP,
  },
  config: {
    type: 'string',
    requiresArg: true,
    describe: 'the routing of every listener of this config file (docs/config.md), each rule once',
    group: GROUP,
  },
  'dry-run': { type: 'boolean', describe: 'print the commands it would run, change nothing', group: GROUP },
} as const;

export const setupRoutingCommand: CommandModule = {
  command: 'setup-routing',
  describe: 'Add the ip rules and routes the proxy with these flags needs (idempotent; for ExecStartPre)',
  builder: (yargs: Argv) =>
    yargs
      .parserConfiguration({ 'parse-numbers': false })
      .options({ ...asYargsOptions(PROXY_FLAGS), ...SETUP_ROUTING_FLAGS })
      .example(
        '$0 setup-routing -4 127.0.0.1:80 -6 [::1]:80',
        'loopback routing for these targets (table 123 when free)',
      )
      .example('$0 setup-routing --config /etc/mmproxy/mmproxy.toml', 'what every listener of the file needs')
      .example('$0 setup-routing --dry-run -mark 7 --table 200', 'show the fwmark rule and route it would add')
      .epilogue(
        "It runs the doctor's routing checks and applies their ip rule/route fixes: what is already in place is " +
          'left alone. Netfilter rules (CONNMARK for -mark) and sysctls are printed, never applied; then it exits 1. ' +
          'Needs CAP_NET_ADMIN (root; ExecStartPre=+ in a unit).',
      ),
  handler: async (argv) => {
    const { runSetupRouting } = await import('../../setup-routing/setup-routing.js');
    setExitCode(argv, await runSetupRouting(argv as never, (line) => process.stdout.write(`${line}\n`)));
  },
};
