/**
 * mmproxy(1), written from the same flag tables the parser reads (src/config/proxy-flags.ts and each command's
 * own), so the manual cannot say what the command line does not do. `npm run man` writes man/mmproxy.1; a unit
 * test fails when the file and this text differ.
 */
import type { Options } from 'yargs';

import { GO_MMPROXY_GROUP, PROXY_FLAGS, type FlagTable } from '../config/proxy-flags.js';
import { checkConfigCommand } from './commands/check-config.js';
import { DOCTOR_FLAGS, doctorCommand } from './commands/doctor.js';
import { INSTALL_SERVICE_FLAGS, installServiceCommand } from './commands/install-service.js';
import { PROXY_COMMAND_FLAGS, proxyCommand } from './commands/proxy.js';
import { SEND_FLAGS, sendCommand } from './commands/send.js';
import { SETUP_ROUTING_FLAGS, setupRoutingCommand } from './commands/setup-routing.js';
import { TOP_FLAGS, topCommand } from './commands/top.js';

/** Text as roff reads it: backslashes and minus signs escaped, no line starting with a control character. */
export function roff(text: string): string {
  return text
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    .split('\n')
    .map((line) => (/^[.']/.test(line) ? `\\&${line}` : line))
    .join('\n');
}

const DASH = '\\-';

/** How a flag is written: go-mmproxy's flags with one dash (as its users write them), the rest with two. */
function spelling(name: string, flag: Options): string {
  const go = flag.group === GO_MMPROXY_GROUP;
  const long =
    name === 'target4' || name === 'target6' ? `${DASH}${name.slice(-1)}` : `${go ? DASH : DASH + DASH}${roff(name)}`;
  const aliases = [flag.alias ?? []].flat().map((alias) => (alias.length === 1 ? DASH : DASH + DASH) + roff(alias));
  const value = flag.type === 'boolean' ? '' : ' \\fIVALUE\\fR';
  return [...aliases, long].map((written) => `\\fB${written}\\fR`).join(', ') + value;
}

function flagEntries(table: FlagTable): string[] {
  return Object.entries(table)
    .filter(([, flag]) => flag.hidden !== true)
    .flatMap(([name, flag]) => {
      const fallback =
        flag.default === undefined || flag.type === 'boolean' ? '' : ` (default: ${String(flag.default)})`;
      // A default worked out on this machine ("number of CPUs (2)") is described without its figure.
      const machine = flag.defaultDescription?.replace(/\s*\(\d+\)$/, '');
      const described = machine ? ` (default: ${machine})` : fallback;
      return ['.TP', spelling(name, flag), roff(`${String(flag.describe ?? '')}${described}`)];
    });
}

/** What the manual reads of a command module. */
interface Described {
  command?: unknown;
  describe?: unknown;
}

interface Section {
  module: Described;
  flags: FlagTable[];
  /** The proxy's flags are taken too (doctor, setup-routing): listed once, under the proxy. */
  takesProxyFlags?: boolean;
}

const SUBCOMMANDS: Section[] = [
  { module: doctorCommand, flags: [DOCTOR_FLAGS], takesProxyFlags: true },
  { module: setupRoutingCommand, flags: [SETUP_ROUTING_FLAGS], takesProxyFlags: true },
  { module: topCommand, flags: [TOP_FLAGS] },
  { module: sendCommand, flags: [SEND_FLAGS] },
  { module: checkConfigCommand, flags: [] },
  { module: installServiceCommand, flags: [INSTALL_SERVICE_FLAGS] },
];

const usage = (module: Described) => String(module.command).replace(/<([^>]+)>/g, '\\fI$1\\fR');

export function manPage(version: string): string {
  const lines = [
    `.TH MMPROXY 1 "" "mmproxy ${roff(version)}" "User Commands"`,
    '.SH NAME',
    `mmproxy ${DASH} ${roff("accept PROXY-protocol connections and forward them from the client's own address")}`,
    '.SH SYNOPSIS',
    '.B mmproxy',
    '[\\fIflags\\fR]',
    ...SUBCOMMANDS.flatMap(({ module, takesProxyFlags }) => [
      '.br',
      `.B mmproxy ${usage(module)}`,
      takesProxyFlags ? '[\\fIproxy flags\\fR] [\\fIflags\\fR]' : '[\\fIflags\\fR]',
    ]),
    '.SH DESCRIPTION',
    roff(String(proxyCommand.describe)),
    "(IP_TRANSPARENT), so the application sees the real client. It takes go\\-mmproxy's flags, with one dash or two.",
    'Replies to the borrowed client addresses must be routed back over loopback:',
    '.PP',
    '.nf',
    roff('ip rule add from 127.0.0.1/8 iif lo table 123\nip route add local 0.0.0.0/0 dev lo table 123'),
    roff('ip -6 rule add from ::1/128 iif lo table 123\nip -6 route add local ::/0 dev lo table 123'),
    '.fi',
    '.PP',
    `or \\fBmmproxy setup${DASH}routing\\fR with the proxy's flags, as root. \\fBmmproxy doctor\\fR says what is wrong.`,
    '.SH OPTIONS',
    ...flagEntries(PROXY_COMMAND_FLAGS),
    ...flagEntries(PROXY_FLAGS),
    '.SH COMMANDS',
    ...SUBCOMMANDS.flatMap(({ module, flags, takesProxyFlags }) => [
      `.SS ${usage(module)}`,
      roff(String(module.describe)) + (takesProxyFlags ? '. Takes every flag of the proxy, and:' : ''),
      ...flags.flatMap(flagEntries),
    ]),
    '.SH EXIT STATUS',
    '0 after a signal (the proxy) or when all is well; 1 when it cannot start or a check failed; 2 for a usage',
    'mistake.',
    '.SH SIGNALS',
    'SIGTERM and SIGINT drain open connections for up to \\fB\\-\\-drain\\-timeout\\fR, then exit; SIGHUP reloads.',
    '.SH FILES',
    '/run/mmproxy/\\fIPID\\fR.sock, the stats socket that \\fBmmproxy top\\fR reads.',
    '.SH SEE ALSO',
    '\\fBip\\-rule\\fR(8), \\fBhaproxy\\fR(1), \\fBsystemd.service\\fR(5); docs/ in the package.',
    '',
  ];
  return lines.join('\n');
}
