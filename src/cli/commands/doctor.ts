/**
 * `mmproxy doctor`: takes every flag of the proxy (src/config/proxy-flags.ts,
 * one dash or two, so a proxy command line can be pasted) plus its own; the
 * implementation is imported only when the command runs.
 */
import type { Argv, CommandModule } from 'yargs';

import { asYargsOptions, PROXY_FLAGS } from '../../config/proxy-flags.js';
import { setExitCode } from './exit-code.js';

const DOCTOR_GROUP = 'doctor:';

/** The doctor's own flags, beside the proxy's. */
export const DOCTOR_FLAGS = {
  json: { type: 'boolean', describe: 'print the report as JSON', group: DOCTOR_GROUP },
  'list-checks': { type: 'boolean', describe: 'list the checks and their groups, then exit', group: DOCTOR_GROUP },
  fix: {
    type: 'boolean',
    describe: 'apply the routing fixes (ip rule/route only), then check again',
    group: DOCTOR_GROUP,
  },
  yes: { type: 'boolean', alias: 'y', describe: 'with --fix: do not ask', group: DOCTOR_GROUP },
  capture: {
    type: 'boolean',
    describe: 'capture packets (libpcap) during a spoofed handshake',
    group: DOCTOR_GROUP,
  },
  // nargs 1: without it yargs reads a lone "-" as a positional, not as this option's value.
  'haproxy-log': {
    type: 'string',
    nargs: 1,
    describe: 'HAProxy log file to explain, or - for stdin',
    group: DOCTOR_GROUP,
  },
  'probe-timeout': {
    type: 'number',
    describe: 'give-up time of each probe connect, ms (default 500)',
    group: DOCTOR_GROUP,
  },
  'expected-connections': {
    type: 'number',
    describe: 'concurrent connections to size the fd limit for (default: --max-connections, else 1000)',
    group: DOCTOR_GROUP,
  },
  color: {
    type: 'boolean',
    describe: 'force colour on or off (default: on for a terminal, unless NO_COLOR)',
    group: DOCTOR_GROUP,
  },
  record: { type: 'string', hidden: true, describe: 'write everything read to FILE as a test fixture' },
  'from-running': {
    type: 'boolean',
    describe:
      "check the running proxy's setup, read from its stats socket, instead of flags (the proxy's flags are then a usage error)",
    group: DOCTOR_GROUP,
  },
  config: {
    type: 'string',
    requiresArg: true,
    describe: "check every listener of this config file (docs/config.md) instead of the proxy's flags",
    group: DOCTOR_GROUP,
  },
  socket: {
    type: 'string',
    describe: "with --from-running: the proxy's stats socket (default: the only one under /run/mmproxy/)",
    group: DOCTOR_GROUP,
  },
} as const;

export const doctorCommand: CommandModule = {
  command: 'doctor [checks..]',
  describe: 'Find why spoofed connections fail, and print the exact fix',
  builder: (yargs: Argv) =>
    yargs
      // The proxy's values stay the strings the user wrote, for the proxy's own parser.
      .parserConfiguration({ 'parse-numbers': false })
      .positional('checks', { type: 'string', array: true, describe: 'check ids or groups to run (default: all)' })
      .options({ ...asYargsOptions(PROXY_FLAGS), ...DOCTOR_FLAGS })
      .example('$0 doctor -4 127.0.0.1:8080 -6 [::1]:8080', 'check the setup `mmproxy` would run with these flags')
      .example('$0 doctor --haproxy-log /var/log/haproxy.log', "explain HAProxy's log and tie it to this host")
      .example('$0 doctor --fix', 'apply the missing ip rule/route, then check again')
      .example('$0 doctor --config /etc/mmproxy/mmproxy.toml', 'check every listener of a config file, each check once')
      .example('$0 doctor --from-running', 'check the setup of the one proxy running on this host')
      .epilogue(
        "Every flag of the proxy is accepted and read by the proxy's own parser, so its command line can be pasted; " +
          '-4 none / -6 none leave a family out. ' +
          'The target probe connects once plainly and once from 192.0.2.1 / 2001:db8::1 (documentation ' +
          'addresses) with IP_TRANSPARENT, as the proxy would: the app sees these short connections (one more with --capture). ' +
          "--from-running takes the setup from the running proxy's stats socket instead (only --expected-connections may be added; " +
          "the proxy's own flags are a usage error, exit 2) and cites its counters, such as its connect timeouts.",
      ),
  handler: async (argv) => {
    const { runDoctor } = await import('../../doctor/doctor.js');
    const code = await runDoctor(argv as never, {
      stdout: process.stdout,
      stdin: process.stdin,
      stderr: process.stderr,
      env: process.env,
    });
    setExitCode(argv, code);
  },
};
