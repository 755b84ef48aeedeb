/**
 * The proxy's flags, defined once: go-mmproxy's own, with its names, defaults
 * and meaning, then mmproxy's additions. The proxy, the doctor and
 * setup-routing all take exactly these (each adds only its own extras), and
 * ./proxy-options.ts is their one parser. Only the switches have a yargs type;
 * every value stays the string the user wrote and is checked by that parser,
 * so each mistake gets one clear line and `-mark 0x10` or `-v 010` mean what
 * they mean in Go. Defaults are applied by the parser, not by yargs, so a
 * command can tell a flag the user gave from one left out.
 */
import { availableParallelism } from 'node:os';

import type { Options } from 'yargs';

import { FAST_PATH_AFTER_READS } from '../base/flows.js';
import type { GoFlagSpec } from './go-flags.js';

export const GO_MMPROXY_GROUP = 'go-mmproxy flags (one dash or two):';
export const MMPROXY_GROUP = 'mmproxy additions:';

export const PROXY_FLAGS = {
  listen: {
    alias: 'l',
    requiresArg: true,
    default: '0.0.0.0:8443',
    describe: 'Address the proxy listens on',
    group: GO_MMPROXY_GROUP,
  },
  target4: {
    requiresArg: true,
    default: '127.0.0.1:443',
    describe: '(-4) Address to which IPv4 traffic is forwarded ("none": IPv4 clients are refused)',
    group: GO_MMPROXY_GROUP,
  },
  target6: {
    requiresArg: true,
    default: '[::1]:443',
    describe: '(-6) Address to which IPv6 traffic is forwarded ("none": IPv6 clients are refused)',
    group: GO_MMPROXY_GROUP,
  },
  protocol: {
    alias: 'p',
    requiresArg: true,
    default: 'tcp',
    describe: 'Protocol that is proxied: tcp | udp',
    group: GO_MMPROXY_GROUP,
  },
  mark: {
    requiresArg: true,
    default: '0',
    describe: 'SO_MARK set on packets to the target (0 = none; 0x hex accepted)',
    group: GO_MMPROXY_GROUP,
  },
  'allowed-subnets': {
    requiresArg: true,
    describe: 'File of load balancer prefixes allowed to connect, one a line, # comments [default: any peer]',
    group: GO_MMPROXY_GROUP,
  },
  listeners: {
    requiresArg: true,
    defaultDescription: `number of CPUs (${availableParallelism()})`,
    describe: 'Worker threads, each with its own SO_REUSEPORT listener',
    group: GO_MMPROXY_GROUP,
  },
  'close-after': {
    requiresArg: true,
    default: '60',
    describe: 'Seconds without traffic after which a UDP session is closed',
    group: GO_MMPROXY_GROUP,
  },
  verbose: {
    alias: 'v',
    requiresArg: true,
    default: '0',
    describe: '0: errors and warnings only; 1: + each failed connection; 2: + every connection',
    group: GO_MMPROXY_GROUP,
  },
  'dynamic-destination': {
    type: 'boolean',
    default: false,
    describe: 'Forward to the destination in the PROXY header instead of -4/-6',
    group: GO_MMPROXY_GROUP,
  },
  'dynamic-destination-allow': {
    requiresArg: true,
    describe:
      'With -dynamic-destination (no effect without it): the only destinations a header may name, PREFIX[:PORTS] separated by commas ' +
      "(192.0.2.0/24:443,[2001:db8::/32]:8000-8100) [default: this host's own addresses only]",
    group: MMPROXY_GROUP,
  },
  'allow-local-clients': {
    type: 'boolean',
    default: false,
    describe:
      "Relay clients a PROXY header names as this host (127.0.0.0/8, ::1, the host's own addresses); " +
      'off, they are refused as local_client, since apps often trust local connections',
    group: MMPROXY_GROUP,
  },
  'listen-transparent': {
    type: 'boolean',
    default: false,
    describe: 'Set IP_TRANSPARENT on the listener, to accept for non-local addresses (TPROXY)',
    group: GO_MMPROXY_GROUP,
  },
  'reuse-port': {
    type: 'boolean',
    default: false,
    describe:
      'Share the listening port with another mmproxy already on it (for a hand-over restart: start the new one, ' +
      'then SIGTERM the old one, which drains); without it a port in use is an error',
    group: MMPROXY_GROUP,
  },
  'header-timeout': {
    requiresArg: true,
    default: '5s',
    describe: 'Drop load balancer connections whose PROXY header is not complete in time',
    group: MMPROXY_GROUP,
  },
  'connect-timeout': {
    requiresArg: true,
    default: '5s',
    describe: 'Give up connecting to the target after this long',
    group: MMPROXY_GROUP,
  },
  keepalive: {
    requiresArg: true,
    default: '15s',
    describe:
      'TCP: after this long without traffic, probe the load balancer and the target every third of it; 3 unanswered probes, or data unacknowledged as long, end the flow (whole seconds; 0 = off)',
    group: MMPROXY_GROUP,
  },
  'max-connections': {
    requiresArg: true,
    default: '0',
    describe: 'Close new connections at once while this many are open (0 = no limit)',
    group: MMPROXY_GROUP,
  },
  'max-sessions': {
    requiresArg: true,
    default: '10000',
    describe:
      'UDP: at most this many client sessions (one socket each); at the limit the longest-idle one closes (0 = no limit)',
    group: MMPROXY_GROUP,
  },
  collision: {
    requiresArg: true,
    default: 'refuse',
    describe:
      "When the client's address:port is already connected to the target (two load balancers sent the same client): refuse (reset, count address_in_use) | ephemeral-port (connect from the client's address with another port)",
    group: MMPROXY_GROUP,
  },
  'relay-mode': {
    requiresArg: true,
    default: 'auto',
    describe:
      'TCP: how established flows move bytes: auto (read/write for small messages, splice(2) once a read fills 32 KiB) | splice | copy (read/write only)',
    group: MMPROXY_GROUP,
  },
  'fast-path': {
    requiresArg: true,
    default: 'off',
    describe:
      'TCP, experimental: move established flows into the kernel (a BPF sockhash; needs CAP_BPF and CAP_NET_ADMIN): ' +
      'auto (where the kernel and capabilities allow; start-up says which runs) | off',
    group: MMPROXY_GROUP,
  },
  'fast-path-after': {
    requiresArg: true,
    default: String(FAST_PATH_AFTER_READS),
    describe:
      'TCP, with --fast-path auto: move a flow into the kernel only once the relay has moved its bytes this many times ' +
      '(each wake-up, each direction, counts once), so short flows never pay the move (0 = as soon as it is idle)',
    group: MMPROXY_GROUP,
  },
  'udp-header': {
    requiresArg: true,
    default: 'every',
    describe:
      "UDP: where the load balancer puts the client's address: every (a PROXY v2 header on each datagram) | first (on a flow's first datagram only, bare ones after it) | spp (Cloudflare's Simple Proxy Protocol on each datagram; replies get one too) | auto (PROXY v2 or SPP on each, told apart by their magic)",
    group: MMPROXY_GROUP,
  },
  'drain-timeout': {
    requiresArg: true,
    default: '10s',
    describe: 'On SIGTERM/SIGINT, how long open connections may finish before they are closed',
    group: MMPROXY_GROUP,
  },
  'log-format': {
    requiresArg: true,
    default: 'text',
    describe: 'Log lines on stderr as text | json',
    group: MMPROXY_GROUP,
  },
  'stats-socket': {
    requiresArg: true,
    describe: 'Unix socket serving live flows and counters to `mmproxy top` (default /run/mmproxy/<pid>.sock)',
    group: MMPROXY_GROUP,
  },
  'metrics-listen': {
    requiresArg: true,
    describe:
      'Serve Prometheus metrics at http://HOST:PORT/metrics (off by default); :PORT alone is loopback only, ' +
      '0.0.0.0:PORT or [::]:PORT exposes it',
    group: MMPROXY_GROUP,
  },
} as const;

/** The raw flag values yargs hands the handler (arrays when a flag is repeated). */
export type RawProxyFlags = {
  [K in keyof typeof PROXY_FLAGS]?: (typeof PROXY_FLAGS)[K] extends { type: 'boolean' }
    ? boolean | boolean[]
    : string | string[];
};

/**
 * The proxy command's raw values: its settings, or `--config` naming a file that holds them (a flag of the command
 * alone, src/cli/commands/proxy.ts: in PROXY_FLAGS it would be a listener key of the file too).
 */
export type RawProxyCommandFlags = RawProxyFlags & { config?: string | string[] };

export type FlagTable = Readonly<Record<string, Options>>;

/**
 * The flags as yargs takes them: a default becomes help text only (the
 * parser applies it), so what yargs hands over is what the user typed.
 */
export function asYargsOptions<T extends FlagTable>(flags: T): { [K in keyof T]: Options } {
  return Object.fromEntries(
    Object.entries(flags).map(([name, { default: fallback, ...flag }]) => [
      name,
      fallback === undefined || flag.type === 'boolean'
        ? flag
        : { defaultDescription: JSON.stringify(fallback), ...flag },
    ]),
  ) as { [K in keyof T]: Options };
}

/** Every name (long and short) of the flags in `tables` that take a value. */
function valueFlagNames(tables: FlagTable[]): Set<string> {
  const names = new Set<string>();
  for (const [name, flag] of tables.flatMap((table) => Object.entries(table))) {
    if (flag.type === 'boolean') continue;
    names.add(name);
    for (const alias of [flag.alias ?? []].flat()) names.add(alias);
  }
  return names;
}

/**
 * How go-mmproxy's spellings map onto the proxy's flags plus a command's own
 * (see ./go-flags.ts): `-4` and `-6` are renamed, since yargs reads them as numbers.
 */
export function goFlagSpec(...extras: FlagTable[]): GoFlagSpec {
  return {
    valueFlags: valueFlagNames([PROXY_FLAGS, ...extras]),
    renames: { '4': 'target4', '6': 'target6' },
    counted: { v: 'verbose' },
  };
}

/** A flag as go-mmproxy's users write it (`-l`, `-4`, `-mark`), or `--name` for mmproxy's additions. */
export function flagLabel(name: keyof typeof PROXY_FLAGS): string {
  if (name === 'target4' || name === 'target6') return `-${name.slice(-1)}`;
  const flag: Options = PROXY_FLAGS[name];
  if (flag.group !== GO_MMPROXY_GROUP) return `--${name}`;
  return typeof flag.alias === 'string' ? `-${flag.alias}` : `-${name}`;
}

/** Flags that mean something for one protocol only (go-mmproxy's -close-after is UDP's, as there). */
export const ONE_PROTOCOL_FLAGS: Readonly<Partial<Record<keyof typeof PROXY_FLAGS, 'tcp' | 'udp'>>> = {
  'header-timeout': 'tcp',
  'connect-timeout': 'tcp',
  keepalive: 'tcp',
  'max-connections': 'tcp',
  'relay-mode': 'tcp',
  'fast-path': 'tcp',
  'fast-path-after': 'tcp',
  'close-after': 'udp',
  'max-sessions': 'udp',
  'udp-header': 'udp',
};

/** For each given flag that does nothing under `protocol`, a line saying so (start-up warns, never refuses). */
export function flagsWithoutEffect(given: readonly (keyof typeof PROXY_FLAGS)[], protocol: 'tcp' | 'udp'): string[] {
  return given
    .filter((name) => (ONE_PROTOCOL_FLAGS[name] ?? protocol) !== protocol)
    .map(
      (name) =>
        `${flagLabel(name)} is a ${ONE_PROTOCOL_FLAGS[name]!.toUpperCase()} setting and does nothing with -p ${protocol}`,
    );
}

/** The names of the proxy's flags given in `raw` (yargs' camel-case copies aside). */
export function givenProxyFlags(raw: RawProxyFlags): (keyof typeof PROXY_FLAGS)[] {
  return (Object.keys(PROXY_FLAGS) as (keyof typeof PROXY_FLAGS)[]).filter((name) => raw[name] !== undefined);
}
