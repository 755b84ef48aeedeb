/**
 * `mmproxy doctor`: takes the proxy's own flags (single-dash long flags as
 * go-mmproxy writes them included) plus the doctor's; the implementation is
 * imported only when the command runs.
 */
import type { Argv, CommandModule } from 'yargs';

import { setExitCode } from './exit-code.js';

const proxyOptions = {
  l: { type: 'string', alias: 'listen', describe: 'listen address of the proxy (default 0.0.0.0:8443)' },
  '4': { type: 'string', alias: 'target4', describe: 'IPv4 target (default 127.0.0.1:443; "none" to skip IPv4)' },
  '6': { type: 'string', alias: 'target6', describe: 'IPv6 target (default [::1]:443; "none" to skip IPv6)' },
  p: { type: 'string', alias: 'protocol', describe: 'protocol: tcp or udp (default tcp)' },
  mark: { type: 'number', describe: 'SO_MARK the proxy sets on upstream connections' },
  'allowed-subnets': { type: 'string', describe: 'file of subnets allowed to send PROXY headers' },
  'connect-timeout': {
    type: 'string',
    describe: "the proxy's upstream connect timeout, e.g. 5s or 500ms (default 5s)",
  },
  'max-connections': { type: 'number', describe: "the proxy's connection limit, to size the fd-limit check" },
  'expected-connections': {
    type: 'number',
    describe: 'concurrent connections to size the fd limit for (default: --max-connections, else 1000)',
  },
  'dynamic-destination': {
    type: 'boolean',
    describe: "the proxy forwards to the header's destination; only -4/-6 are checked",
  },
} as const;

/** The rest of the proxy's flags, accepted so a proxy command line can be pasted; they change nothing here. */
const ignoredProxyOptions = Object.fromEntries(
  ['listeners', 'close-after', 'v', 'header-timeout', 'drain-timeout', 'log-format', 'stats-socket'].map(
    (name) => [name, { type: 'string', hidden: true }] as const,
  ),
);

const doctorOptions = {
  json: { type: 'boolean', describe: 'print the report as JSON' },
  'list-checks': { type: 'boolean', describe: 'list the checks and their groups, then exit' },
  fix: { type: 'boolean', describe: 'apply the routing fixes (ip rule/route only), then check again' },
  yes: { type: 'boolean', alias: 'y', describe: 'with --fix: do not ask' },
  capture: { type: 'boolean', describe: 'capture packets (libpcap) during a spoofed handshake' },
  // nargs 1: without it yargs reads a lone "-" as a positional, not as this option's value.
  'haproxy-log': { type: 'string', nargs: 1, describe: 'HAProxy log file to explain, or - for stdin' },
  'probe-timeout': { type: 'number', describe: 'give-up time of each probe connect, ms (default 500)' },
  color: { type: 'boolean', describe: 'force colour on or off (default: on for a terminal, unless NO_COLOR)' },
  record: { type: 'string', hidden: true, describe: 'write everything read to FILE as a test fixture' },
  'from-running': {
    type: 'boolean',
    describe:
      "check the running proxy's setup, read from its stats socket, instead of flags (the proxy's flags are then a usage error)",
  },
  socket: {
    type: 'string',
    describe: "with --from-running: the proxy's stats socket (default: the only one under /run/mmproxy/)",
  },
} as const;

export const doctorCommand: CommandModule = {
  command: 'doctor [checks..]',
  describe: 'Find why spoofed connections fail, and print the exact fix',
  builder: (yargs: Argv) =>
    yargs
      // go-mmproxy's flags are single-dash words (-mark, -allowed-subnets); with
      // short-option grouping off, yargs reads them as long options.
      .parserConfiguration({ 'short-option-groups': false })
      .positional('checks', { type: 'string', array: true, describe: 'check ids or groups to run (default: all)' })
      .options({ ...proxyOptions, ...doctorOptions, ...ignoredProxyOptions })
      .option('listen-transparent', { type: 'boolean', hidden: true })
      .example('$0 doctor -4 127.0.0.1:8080 -6 [::1]:8080', 'check the setup `mmproxy` would run with these flags')
      .example('$0 doctor --haproxy-log /var/log/haproxy.log', "explain HAProxy's log and tie it to this host")
      .example('$0 doctor --fix', 'apply the missing ip rule/route, then check again')
      .example('$0 doctor --from-running', 'check the setup of the one proxy running on this host')
      .epilogue(
        'Every other flag of the proxy is accepted and ignored, so its command line can be pasted. ' +
          'The target probe connects once plainly and once from 192.0.2.1 / 2001:db8::1 (documentation ' +
          'addresses) with IP_TRANSPARENT, as the proxy would: the app sees these short connections (one more with --capture). ' +
          "--from-running takes the setup from the running proxy's stats socket instead (only --expected-connections may be added; " +
          "the proxy's own flags are a usage error, exit 2) and cites its counters, such as its connect timeouts.",
      ),
  handler: async (argv) => {
    const { runDoctor } = await import('../../doctor/doctor.js');
    const code = await runDoctor(argv as never, { stdout: process.stdout, stdin: process.stdin, env: process.env });
    setExitCode(argv, code);
  },
};
