/** The proxy command through main(argv): help, and each usage mistake as one line and exit code 2. */
import { deepStrictEqual, match, ok, strictEqual } from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { versionLine } from '../../../src/base/package-info.js';
import { EXIT_OK, EXIT_USAGE } from '../../../src/cli/main.js';
import { runMain as run } from './run-main.js';

async function usageError(args: string[], message: RegExp): Promise<void> {
  const result = await run(args);
  strictEqual(result.code, EXIT_USAGE, `${args.join(' ')}: ${result.stderr}`);
  const lines = result.stderr.trimEnd().split('\n');
  deepStrictEqual(lines.length, 2, result.stderr);
  match(lines[0]!, message);
  strictEqual(lines[1], "Run 'mmproxy --help' for usage.");
  strictEqual(result.stdout, '');
}

describe('mmproxy (the proxy command) through main()', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mmproxy-cli-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("--help, -h and Go's -help show sections, every flag, examples and the routing setup", async () => {
    for (const flag of ['--help', '-h', '-help']) {
      const { code, stdout } = await run([flag]);
      strictEqual(code, EXIT_OK);
      for (const text of [
        'go-mmproxy flags (one dash or two):',
        'mmproxy additions:',
        '-l, --listen',
        '(-4) Address to which IPv4 traffic is forwarded',
        '-p, --protocol',
        '-v, --verbose',
        '--allowed-subnets',
        '--dynamic-destination',
        '--listen-transparent',
        '--header-timeout',
        '--connect-timeout',
        '--max-connections',
        '--drain-timeout',
        '--log-format',
        '--stats-socket',
        '--metrics-listen',
        '[default: "0.0.0.0:8443"]',
        'Examples:',
        'mmproxy -l 0.0.0.0:2222 -4 127.0.0.1:22 -6 [::1]:22',
        'ip route add local 0.0.0.0/0 dev lo table 123',
      ]) {
        ok(stdout.includes(text), `${flag}: help lacks ${JSON.stringify(text)}:\n${stdout}`);
      }
    }
  });

  it('--version and -V print the version line and start nothing, beside any other flag or subcommand', async () => {
    for (const args of [['--version'], ['-V'], ['-version'], ['-l', '0.0.0.0:1', '-V'], ['doctor', '--version']]) {
      const { code, stdout, stderr } = await run(args);
      strictEqual(code, EXIT_OK, args.join(' '));
      strictEqual(stdout, `${versionLine()}\n`, args.join(' '));
      strictEqual(stderr, '', args.join(' '));
    }
    match(versionLine(), /^mmproxy \d+\.\d+\.\d+\S* \(commit (\S+|unknown), node v\d+/);
  });

  it('help fits 100 columns', async () => {
    const { stdout } = await run(['--help']);
    for (const line of stdout.split('\n')) ok(line.length <= 100, `too wide: ${line}`);
  });

  it('an unknown flag, in either dash form', async () => {
    await usageError(['-bogus'], /^mmproxy: unknown flag -bogus$/);
    await usageError(['--bogus', '1'], /^mmproxy: unknown flag --bogus$/);
  });

  it('a flag without its value', async () => {
    await usageError(['-l'], /^mmproxy: Not enough arguments following: l$/);
  });

  it('a bad value', async () => {
    await usageError(
      ['-l', 'localhost:2222'],
      /^mmproxy: -l: "localhost:2222": "localhost" is not a numeric IP address/,
    );
    await usageError(['-mark', '-1'], /^mmproxy: -mark: "-1" must be a whole number/);
    await usageError(['-v', 'loud'], /^mmproxy: -v: "loud"/);
  });

  it('a connection cap beyond 32 bits, which the data plane would have read as 0 (no limit)', async () => {
    await usageError(
      ['--max-connections', '4294967296'],
      /^mmproxy: --max-connections: "4294967296" must be a whole number from 0 to 4294967295$/,
    );
  });

  it('a bad UDP session cap', async () => {
    await usageError(
      ['-p', 'udp', '--max-sessions', '-1'],
      /^mmproxy: --max-sessions: "-1" must be a whole number from 0 to 4294967295$/,
    );
  });

  it('an unreadable subnet file', async () => {
    const missing = join(dir, 'missing.txt');
    await usageError(
      ['-allowed-subnets', missing],
      new RegExp(
        `^mmproxy: -allowed-subnets: cannot read allowed-subnets file ${missing}: no such file or directory \\(ENOENT\\)$`,
      ),
    );
  });

  it('an invalid subnet file, naming file and line', async () => {
    const path = join(dir, 'lbs.txt');
    await writeFile(path, '# lbs\n192.0.2.0/24\n192.0.2.300/32\n');
    await usageError(
      ['--allowed-subnets', path],
      new RegExp(`^mmproxy: -allowed-subnets: ${path}:3: "192.0.2.300" is not`),
    );
  });
});
