import { deepStrictEqual, strictEqual, throws } from 'node:assert/strict';
import { availableParallelism } from 'node:os';

import { UsageError } from '../../../src/base/errors.js';
import { parseFlags } from './parse-flags.js';

function usageError(args: string[], message: RegExp): void {
  throws(
    () => parseFlags(args),
    (error: unknown) => error instanceof UsageError && message.test(error.message) && !error.message.includes('\n'),
    args.join(' '),
  );
}

describe('proxy options: every flag, alias and default', () => {
  it('defaults to what go-mmproxy does, plus mmproxy additions', () => {
    deepStrictEqual(parseFlags([]), {
      protocol: 'tcp',
      listen: { family: 4, address: '0.0.0.0', port: 8443, lastPort: 8443 },
      target4: { family: 4, address: '127.0.0.1', port: 443, lastPort: 443 },
      target6: { family: 6, address: '::1', port: 443, lastPort: 443 },
      mark: 0,
      allowedSubnetsFile: null,
      listeners: availableParallelism(),
      closeAfterSeconds: 60,
      verbosity: 0,
      dynamicDestination: false,
      dynamicDestinationAllow: null,
      allowLocalClients: false,
      listenTransparent: false,
      reusePort: false,
      headerTimeoutMs: 5000,
      connectTimeoutMs: 5000,
      keepAliveSeconds: 15,
      maxConnections: 0,
      maxSessions: 10_000,
      collision: 'refuse',
      relayMode: 'auto',
      fastPath: 'off',
      fastPathAfterReads: 64,
      udpHeader: 'every',
      drainTimeoutMs: 10_000,
      logFormat: 'text',
      statsSocket: null,
      metricsListen: null,
    });
  });

  it("reads the issue's example command line", () => {
    const options = parseFlags(['-l', '0.0.0.0:2222', '-4', '127.0.0.1:22', '-6', '[::1]:22']);
    deepStrictEqual(options.listen, { family: 4, address: '0.0.0.0', port: 2222, lastPort: 2222 });
    deepStrictEqual(options.target4, { family: 4, address: '127.0.0.1', port: 22, lastPort: 22 });
    deepStrictEqual(options.target6, { family: 6, address: '::1', port: 22, lastPort: 22 });
  });

  const same: [string, string[][], (o: ReturnType<typeof parseFlags>) => unknown, unknown][] = [
    [
      'listen',
      [
        ['-l', '[::]:1'],
        ['--l', '[::]:1'],
        ['--listen', '[::]:1'],
        ['-listen', '[::]:1'],
        ['-l=[::]:1'],
        ['--listen=[::]:1'],
      ],
      (o) => o.listen,
      { family: 6, address: '::', port: 1, lastPort: 1 },
    ],
    [
      'target4',
      [['-4', '192.0.2.1:2'], ['--4', '192.0.2.1:2'], ['--target4', '192.0.2.1:2'], ['-target4=192.0.2.1:2']],
      (o) => o.target4,
      { family: 4, address: '192.0.2.1', port: 2, lastPort: 2 },
    ],
    [
      'target6',
      [
        ['-6', '[2001:db8::1]:3'],
        ['--6', '[2001:db8::1]:3'],
        ['--target6', '[2001:db8::1]:3'],
      ],
      (o) => o.target6,
      { family: 6, address: '2001:db8::1', port: 3, lastPort: 3 },
    ],
    [
      'protocol',
      [
        ['-p', 'udp'],
        ['--p', 'udp'],
        ['--protocol', 'udp'],
        ['-protocol', 'udp'],
      ],
      (o) => o.protocol,
      'udp',
    ],
    ['mark', [['-mark', '16'], ['--mark', '0x10'], ['-mark=0o20']], (o) => o.mark, 16],
    [
      'allowed-subnets',
      [['-allowed-subnets', '/f'], ['--allowed-subnets', '/f'], ['-allowed-subnets=/f']],
      (o) => o.allowedSubnetsFile,
      '/f',
    ],
    [
      'listeners',
      [
        ['-listeners', '3'],
        ['--listeners', '3'],
      ],
      (o) => o.listeners,
      3,
    ],
    [
      'close-after',
      [
        ['-close-after', '5'],
        ['--close-after', '5'],
      ],
      (o) => o.closeAfterSeconds,
      5,
    ],
    [
      'verbose',
      [
        ['-v', '2'],
        ['--v', '2'],
        ['--verbose', '2'],
        ['-verbose', '2'],
        ['-v', '9'],
      ],
      (o) => o.verbosity,
      2,
    ],
    [
      'dynamic-destination',
      [['-dynamic-destination'], ['--dynamic-destination'], ['-dynamic-destination=true']],
      (o) => o.dynamicDestination,
      true,
    ],
    [
      'listen-transparent',
      [['-listen-transparent'], ['--listen-transparent'], ['--listen-transparent=true']],
      (o) => o.listenTransparent,
      true,
    ],
    ['reuse-port', [['--reuse-port'], ['-reuse-port']], (o) => o.reusePort, true],
    [
      'header-timeout',
      [['--header-timeout', '1.5'], ['-header-timeout', '1500ms'], ['--header-timeout=1.5s']],
      (o) => o.headerTimeoutMs,
      1500,
    ],
    [
      'connect-timeout',
      [
        ['--connect-timeout', '2'],
        ['-connect-timeout', '2s'],
      ],
      (o) => o.connectTimeoutMs,
      2000,
    ],
    ['keepalive', [['--keepalive', '2'], ['-keepalive', '2s'], ['--keepalive=2000ms']], (o) => o.keepAliveSeconds, 2],
    [
      'max-connections',
      [
        ['--max-connections', '100'],
        ['-max-connections', '100'],
      ],
      (o) => o.maxConnections,
      100,
    ],
    ['max-sessions', [['--max-sessions', '0'], ['-max-sessions', '0'], ['--max-sessions=0']], (o) => o.maxSessions, 0],
    [
      'collision',
      [['--collision', 'ephemeral-port'], ['-collision', 'ephemeral-port'], ['--collision=ephemeral-port']],
      (o) => o.collision,
      'ephemeral-port',
    ],
    [
      'relay-mode',
      [['--relay-mode', 'splice'], ['-relay-mode', 'splice'], ['--relay-mode=splice']],
      (o) => o.relayMode,
      'splice',
    ],
    ['fast-path', [['--fast-path', 'auto'], ['-fast-path', 'auto'], ['--fast-path=auto']], (o) => o.fastPath, 'auto'],
    [
      'drain-timeout',
      [
        ['--drain-timeout', '0'],
        ['-drain-timeout', '0s'],
      ],
      (o) => o.drainTimeoutMs,
      0,
    ],
    [
      'log-format',
      [
        ['--log-format', 'json'],
        ['-log-format', 'json'],
      ],
      (o) => o.logFormat,
      'json',
    ],
    [
      'stats-socket',
      [
        ['--stats-socket', '/run/m.sock'],
        ['-stats-socket', '/run/m.sock'],
      ],
      (o) => o.statsSocket,
      '/run/m.sock',
    ],
    [
      'metrics-listen',
      [
        ['--metrics-listen', '127.0.0.1:9100'],
        ['-metrics-listen', '127.0.0.1:9100'],
      ],
      (o) => o.metricsListen,
      '127.0.0.1:9100',
    ],
  ];
  for (const [flag, spellings, pick, expected] of same) {
    it(`reads ${flag} in every spelling`, () => {
      for (const args of spellings) deepStrictEqual(pick(parseFlags(args)), expected, args.join(' '));
    });
  }

  it('turns switches off with =false, as Go does', () => {
    strictEqual(parseFlags(['-dynamic-destination=false']).dynamicDestination, false);
  });

  it('keeps the last of repeated flags, as Go does', () => {
    strictEqual(parseFlags(['-l', '0.0.0.0:1', '-l', '0.0.0.0:2']).listen.port, 2);
    strictEqual(parseFlags(['-mark', '1', '--mark', '2']).mark, 2);
  });

  it('refuses each bad value with one line naming the flag', () => {
    usageError(['-l', 'localhost:22'], /^-l: .*host names are not resolved/);
    usageError(['-4', '[::1]:22'], /^-4: the IPv4 target must be an IPv4 address/);
    usageError(['-6', '127.0.0.1:22'], /^-6: the IPv6 target must be an IPv6 address/);
    usageError(['-p', 'sctp'], /^-p: "sctp" must be one of tcp, udp/);
    usageError(['-p', 'TCP'], /^-p: "TCP" must be one of tcp, udp/);
    usageError(['-mark', '-1'], /^-mark: "-1" must be a whole number from 0 to 4294967295/);
    usageError(['-mark', '0x100000000'], /^-mark: /);
    usageError(['-mark', 'red'], /^-mark: /);
    usageError(['-listeners', '0'], /^-listeners: "0" must be a whole number from 1 to 1024/);
    usageError(['-close-after', '-5'], /^-close-after: /);
    usageError(['-v', '-1'], /^-v: /);
    usageError(['-v', 'debug'], /^-v: /);
    usageError(
      ['--header-timeout', '0'],
      /^--header-timeout: "0" must be a duration like 5, 2.5s, 500ms or 1m, from 1ms to 24h$/,
    );
    usageError(['--connect-timeout', 'soon'], /^--connect-timeout: /);
    usageError(['--connect-timeout', '25h'], /^--connect-timeout: /);
    strictEqual(parseFlags(['--keepalive', '0']).keepAliveSeconds, 0);
    usageError(
      ['--keepalive', '1.5s'],
      /^--keepalive: "1.5s" must be whole seconds from 0 \(off\) to 32767, like 15 or 2m$/,
    );
    usageError(['--keepalive', '10h'], /^--keepalive: /);
    usageError(['--keepalive', '-1'], /^--keepalive: /);
    usageError(['--max-connections', '-3'], /^--max-connections: /);
    usageError(
      ['--max-connections', '4294967296'],
      /^--max-connections: "4294967296" must be a whole number from 0 to 4294967295$/,
    );
    usageError(['--drain-timeout', '-1'], /^--drain-timeout: /);
    usageError(['--collision', 'reuse'], /^--collision: "reuse" must be one of refuse, ephemeral-port/);
    usageError(['--relay-mode', 'fast'], /^--relay-mode: "fast" must be one of auto, splice, copy/);
    usageError(['--log-format', 'xml'], /^--log-format: "xml" must be one of text, json/);
    usageError(['-allowed-subnets', ''], /^-allowed-subnets: needs a file path/);
    usageError(['--metrics-listen', '9100'], /^--metrics-listen: "9100": expected HOST:PORT, \[IPV6\]:PORT or :PORT/);
  });

  it('refuses unknown flags, stray words and missing values (yargs, still one line)', () => {
    usageError(['-bogus'], /^Unknown argument: bogus$/);
    usageError(['--bogus=1'], /^Unknown argument: bogus$/);
    usageError(['-l', '0.0.0.0:1', 'extra'], /^Unknown argument: extra$/);
    usageError(['-l'], /^Not enough arguments following: l$/);
    usageError(['-mark'], /^Not enough arguments following: mark$/);
  });
});
