/**
 * The config file: every flag has its key and means the same there (the
 * same value, the same refusal); every mistake of a file is reported at once
 * with its line and column; the documented example is a valid config.
 */
import assert from 'node:assert/strict';

import { ConfigFileError, parseConfigText } from '../../../src/config/config-file.js';
import { PROXY_FLAGS } from '../../../src/config/proxy-flags.js';
import { configFromOptions } from '../../../src/config/proxy-options.js';
import { fileKey, PROCESS_FLAGS } from '../../../src/config/settings.js';
import { parseFlags } from './parse-flags.js';
import { SAMPLES, type FlagName } from './flag-samples.js';

const BASE = ['name = "svc"', 'listen = "0.0.0.0:2222"', 'target4 = "127.0.0.1:22"'];

/** A file with one listener, the process keys at the top and the listener's in its table (replacing BASE's). */
function fileWith(process: string[], listener: string[]): string {
  const keyOf = (line: string) => line.split(' = ')[0];
  const base = BASE.filter((line) => !listener.some((own) => keyOf(own) === keyOf(line)));
  return [...process, '', '[[listener]]', ...base, ...listener, ''].join('\n');
}

function issuesOf(source: string): string[] {
  try {
    parseConfigText(source, 'mmproxy.toml');
  } catch (error) {
    assert.ok(error instanceof ConfigFileError, String(error));
    return error.message.split('\n');
  }
  assert.fail(`accepted:\n${source}`);
}

function tomlValue(flag: FlagName, value: string | null): string {
  return value === null ? 'true' : JSON.stringify(value);
}

const isProcessFlag = (flag: FlagName) => (PROCESS_FLAGS as readonly string[]).includes(flag);

describe('the config file: every flag has its key, read by the same code', () => {
  for (const [flag, { value, bad }] of Object.entries(SAMPLES) as [FlagName, (typeof SAMPLES)[FlagName]][]) {
    const line = `${fileKey(flag)} = ${tomlValue(flag, value)}`;
    it(`${line}: the same options as ${value === null ? `--${flag}` : `--${flag} ${value}`}`, () => {
      const source = isProcessFlag(flag) ? fileWith([line], []) : fileWith([], [line]);
      const withFlag = ['-l', '0.0.0.0:2222', '-4', '127.0.0.1:22', `--${flag}`, ...(value === null ? [] : [value])];
      const fromFlags = configFromOptions(parseFlags(withFlag));
      const { config } = parseConfigText(source, 'f.toml');
      assert.deepEqual(config.process, fromFlags.process);
      assert.deepEqual(config.listeners[0], { ...fromFlags.listeners[0], name: 'svc' });
    });
    if (bad !== undefined) {
      it(`${fileKey(flag)} = ${JSON.stringify(bad)}: refused with the flag's reason, at its line and column`, () => {
        const badLine = `${fileKey(flag)} = ${JSON.stringify(bad)}`;
        const source = isProcessFlag(flag) ? fileWith([badLine], []) : fileWith([], [badLine]);
        const flagMessage = (() => {
          try {
            parseFlags(['-l', '0.0.0.0:2222', '-4', '127.0.0.1:22', `--${flag}`, bad]);
          } catch (error) {
            return (error as Error).message;
          }
          return assert.fail('the flag accepted it');
        })();
        const reason = flagMessage.slice(flagMessage.indexOf(': ') + 2);
        const row = source.split('\n').indexOf(badLine) + 1;
        const column = badLine.indexOf('= ') + 3;
        const where = isProcessFlag(flag) ? '' : 'listener "svc": ';
        assert.ok(
          issuesOf(source).includes(`mmproxy.toml:${row}:${column}: ${where}${fileKey(flag)}: ${reason}`),
          `${issuesOf(source).join('\n')}\nlacks ${reason}`,
        );
      });
    }
  }

  it('every flag is a key of the process or of a listener', () => {
    for (const flag of Object.keys(PROXY_FLAGS) as FlagName[]) {
      const line = `${fileKey(flag)} = ${tomlValue(flag, SAMPLES[flag].value)}`;
      const misplaced = isProcessFlag(flag) ? fileWith([], [line]) : fileWith([line], []);
      assert.match(
        issuesOf(misplaced).join('\n'),
        new RegExp(`${fileKey(flag)}: a (setting of the whole process|listener's setting)`),
      );
    }
  });
});

describe('the config file: listeners, defaults, ranges', () => {
  it('applies [defaults] under each listener, and a listener overrides them', () => {
    const { config } = parseConfigText(
      [
        'workers = 2',
        '[defaults]',
        'connect-timeout = "2s"',
        'allowed-subnets = ["192.0.2.0/24", "2001:db8::/32"]',
        '[[listener]]',
        ...BASE,
        '[[listener]]',
        'name = "dns"',
        'protocol = "udp"',
        'listen = "[::]:53"',
        'target6 = "[::1]:5353"',
        'connect-timeout = 1',
        'allowed-subnets = "/etc/mmproxy/dns-lbs"',
      ].join('\n'),
      'f.toml',
    );
    assert.equal(config.process.listeners, 2);
    const [svc, dns] = config.listeners;
    assert.equal(svc?.connectTimeoutMs, 2000);
    assert.deepEqual(svc?.allowedSubnets, ['192.0.2.0/24', '2001:db8::/32']);
    assert.equal(dns?.connectTimeoutMs, 1000);
    assert.equal(dns?.protocol, 'udp');
    assert.equal(dns?.allowedSubnets, null);
    assert.equal(dns?.allowedSubnetsFile, '/etc/mmproxy/dns-lbs');
  });

  it('takes a port range, with a target range that follows it or a single target port', () => {
    const { config } = parseConfigText(
      [
        '[[listener]]',
        'name = "mc"',
        'listen = "0.0.0.0:25565-25575"',
        'target4 = "127.0.0.1:35565-35575"',
        'target6 = "[::1]:25565"',
      ].join('\n'),
      'f.toml',
    );
    const [mc] = config.listeners;
    assert.deepEqual(mc?.listen, { family: 4, address: '0.0.0.0', port: 25565, lastPort: 25575 });
    assert.deepEqual(mc?.target4, { family: 4, address: '127.0.0.1', port: 35565, lastPort: 35575 });
    assert.deepEqual(mc?.target6, { family: 6, address: '::1', port: 25565, lastPort: 25565 });
  });

  it('reports every mistake of a file at once, in file order, each with its line, column and key', () => {
    const source = [
      'workers = 0', // 1
      'conect-timeout = "5s"', // 2
      '[defaults]', // 3
      'connect-timeout = "5x"', // 4
      'listen = "0.0.0.0:1"', // 5
      '[[listener]]', // 6
      'name = "ssh"', // 7
      'listen = "0.0.0.0:2222"', // 8
      'target4 = "127.0.0.1:22-30"', // 9
      'reuse-port = "yes"', // 10
      'allowed-subnets = ["192.0.2.0/24", 3]', // 11
      '[[listener]]', // 12
      'name = "ssh"', // 13
      'listen = "0.0.0.0:2222"', // 14
      'verbose = 2', // 15
      '[[listener]]', // 16
      'listen = "0.0.0.0:3000-2000"', // 17
      'target4 = "none"', // 18
      'target6 = "none"', // 19
      '[[listener]]', // 20
      'name = "web"', // 21
      'listen = "[::]:2222"', // 22
      '[listen]', // 23
    ].join('\n');
    assert.deepEqual(issuesOf(source), [
      'mmproxy.toml:1:11: workers: "0" must be a whole number from 1 to 1024',
      'mmproxy.toml:2:1: conect-timeout: not a setting of the process; did you mean "connect-timeout"?',
      'mmproxy.toml:4:19: defaults: connect-timeout: "5x" must be a duration like 5, 2.5s, 500ms or 1m, from 1ms to 24h',
      'mmproxy.toml:5:1: defaults: listen: each listener has its own; set it in its [[listener]] table',
      'mmproxy.toml:9:11: listener "ssh": target4: the target has 9 ports and the listen address one: give one target port',
      'mmproxy.toml:10:14: listener "ssh": reuse-port: must be true or false, not a string',
      'mmproxy.toml:11:36: listener "ssh": allowed-subnets: each prefix goes in quotes, like "192.0.2.0/24", not a number',
      'mmproxy.toml:13:8: listener "ssh": the name is taken by the listener at line 6; each needs its own',
      'mmproxy.toml:15:1: listener "ssh": verbose: a setting of the whole process; put it at the top of the file, before any table',
      'mmproxy.toml:16:1: [[listener]]: needs a name (name = "ssh"): it labels the listener\'s metrics and log lines, and a reload matches listeners by it',
      'mmproxy.toml:17:10: [[listener]] at line 16: listen: "0.0.0.0:3000-2000": a port range goes from the lower port to the higher, e.g. 25565-25575',
      'mmproxy.toml:18:11: [[listener]] at line 16: target4 none and target6 none: there is nowhere to forward to; give a target for at least one family',
      'mmproxy.toml:23:1: [listen]: not a table of the config; it has settings at the top, [defaults] and [[listener]] tables; did you mean "listener"?',
    ]);
  });

  it('refuses two listeners that would share a port, the dual-stack [::] included', () => {
    const issues = issuesOf(
      [
        '[[listener]]',
        'name = "a"',
        'listen = "0.0.0.0:25565-25575"',
        '[[listener]]',
        'name = "b"',
        'listen = "[::]:25575"',
        '[[listener]]',
        'name = "c"',
        'protocol = "udp"',
        'listen = "0.0.0.0:25570"',
      ].join('\n'),
    );
    assert.deepEqual(issues, [
      'mmproxy.toml:6:10: listener "b": listen: tcp [::]:25575 overlaps listener "a" (0.0.0.0:25565-25575, line 1); two listeners on one port would split its connections between them',
    ]);
  });

  it('says where a file is not TOML, and that a file needs a listener', () => {
    assert.deepEqual(issuesOf('[[listener]]\nname = ssh\n'), [
      'mmproxy.toml:2:8: not valid TOML: Unexpected character',
    ]);
    assert.deepEqual(issuesOf('workers = 2\n'), [
      'mmproxy.toml: no [[listener]] table: add one per service, with a name and a listen address (docs/config.md)',
    ]);
    assert.match(
      issuesOf('[listener]\nname = "a"\nlisten = "0.0.0.0:1"\n')[0]!,
      /^mmproxy.toml:1:1: \[listener\]: write \[\[listener\]\] \(two brackets/,
    );
  });

  it('keeps integers as written: 0x2a is 42, and a number past 2^53 is refused, not rounded', () => {
    const { config } = parseConfigText(fileWith([], ['mark = 0x2a']), 'f.toml');
    assert.equal(config.listeners[0]?.mark, 42);
    assert.match(
      issuesOf(fileWith([], ['max-connections = 9007199254740993'])).join('\n'),
      /"9007199254740993" must be a whole number/,
    );
  });
});
