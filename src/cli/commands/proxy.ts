/**
 * `mmproxy [flags]`: the proxy, the default command, so go-mmproxy's command
 * lines work unchanged. Subcommands (doctor, top) sit beside it.
 */
import type { Argv, CommandModule } from 'yargs';

import { asYargsOptions, MMPROXY_GROUP, PROXY_FLAGS, type RawProxyCommandFlags } from '../../config/proxy-flags.js';
import { setExitCode } from './exit-code.js';

const EPILOG = `Examples:
  mmproxy -l 0.0.0.0:2222 -4 127.0.0.1:22 -6 [::1]:22
      SSH behind a load balancer, exactly as with go-mmproxy
  mmproxy -l [::]:8443 -allowed-subnets /etc/mmproxy/lbs.txt -v 1
      only the listed load balancers may connect; log each failed connection
  mmproxy -l 0.0.0.0:25 -4 127.0.0.1:2525 --connect-timeout 2s --log-format json
      a shorter connect timeout, JSON log lines
  mmproxy --config /etc/mmproxy/mmproxy.toml
      every listener of the file in one process; SIGHUP reloads it (check it first: mmproxy check-config FILE)

Replies to the spoofed client addresses must be routed back over loopback:
  ip rule add from 127.0.0.1/8 iif lo table 123
  ip route add local 0.0.0.0/0 dev lo table 123
  ip -6 rule add from ::1/128 iif lo table 123
  ip -6 route add local ::/0 dev lo table 123
or run \`mmproxy setup-routing\` with the same flags, as root: it adds only what is missing.
mmproxy needs CAP_NET_ADMIN (IP_TRANSPARENT), and CAP_NET_BIND_SERVICE below port 1024. Signals: SIGTERM/SIGINT drain and exit, SIGHUP re-reads -allowed-subnets (or the --config file).
Durations are seconds or take a unit: 500ms, 5s, 2m.`;

/** The proxy command's own flags, beside the proxy's settings (which a config file holds instead). */
export const PROXY_COMMAND_FLAGS = {
  config: {
    requiresArg: true,
    describe:
      'Run every listener of this config file (TOML, docs/config.md) instead of one from flags; SIGHUP reloads it',
    group: MMPROXY_GROUP,
  },
} as const;

export const proxyCommand: CommandModule<object, RawProxyCommandFlags> = {
  command: '$0',
  describe: "Accept PROXY-protocol connections and forward them from the client's own address",
  builder: (yargs: Argv) =>
    yargs
      .parserConfiguration({ 'parse-numbers': false })
      .options(asYargsOptions(PROXY_FLAGS))
      .options(PROXY_COMMAND_FLAGS)
      .epilog(EPILOG) as unknown as Argv<RawProxyCommandFlags>,
  handler: async (argv) => {
    const { runProxyCommand } = await import('../../proxy/command.js');
    setExitCode(argv, await runProxyCommand(argv));
  },
};
