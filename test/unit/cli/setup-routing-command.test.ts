/**
 * `mmproxy setup-routing` through main(argv): its help and its usage mistakes
 * (exit 2, one line). Only inputs rejected before any routing is read: this
 * process runs in the machine's own namespace, whose routing a unit test must
 * never change; the namespace suites (test/netns/hardening/) run it for real.
 */
import { match, ok, strictEqual } from 'node:assert/strict';

import { EXIT_OK, EXIT_USAGE } from '../../../src/cli/main.js';
import { runMain as run } from './run-main.js';

async function usageError(args: string[], message: RegExp): Promise<void> {
  const result = await run(['setup-routing', ...args]);
  strictEqual(result.code, EXIT_USAGE, `${args.join(' ')}: ${result.stderr}`);
  match(result.stderr.split('\n')[0] ?? '', message);
  strictEqual(result.stdout, '');
}

describe('mmproxy setup-routing through main()', () => {
  it("--help lists the proxy's flags, its own, and what it never applies", async () => {
    const { code, stdout } = await run(['setup-routing', '--help']);
    strictEqual(code, EXIT_OK);
    for (const text of [
      '(-4) Address to which IPv4 traffic is forwarded',
      '--mark',
      '--allowed-subnets',
      '--table',
      '--dry-run',
      'Netfilter rules (CONNMARK for -mark)',
    ]) {
      ok(stdout.includes(text), `help lacks ${JSON.stringify(text)}:\n${stdout}`);
    }
  });

  it('refuses a reserved or malformed --table', async () => {
    await usageError(
      ['--table', '254'],
      /^mmproxy: --table "254": expected a routing table number from 1 to 4294967295, not 253\.\.255/,
    );
    await usageError(['--table', 'main'], /^mmproxy: --table "main"/);
    await usageError(['--table', '4294967296'], /^mmproxy: --table "4294967296"/);
  });

  it("checks the proxy's flags with the proxy's own parser", async () => {
    await usageError(['-4', 'nonsense'], /^mmproxy: -4: "nonsense" has no port/);
    await usageError(['-mark', 'x'], /^mmproxy: -mark: "x" must be a whole number/);
    await usageError(['-p', 'sctp'], /^mmproxy: -p/);
    await usageError(['--nope'], /unknown flag --nope/);
  });
});
