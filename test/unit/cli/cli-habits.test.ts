/**
 * What a person at a terminal meets: a misspelt flag answered with the closest real one and the command's own
 * help, a flag that does nothing under the chosen -p named at start-up, shell completion, and a manual written
 * from the same tables as the parser.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { buildInfo, packageRoot } from '../../../src/base/package-info.js';
import { closestNames } from '../../../src/base/did-you-mean.js';
import { flagsWithoutEffect, PROXY_FLAGS } from '../../../src/config/proxy-flags.js';
import { manPage } from '../../../src/cli/man-page.js';
import { helpHint, usageMessage } from '../../../src/cli/usage-message.js';
import { runMain } from './run-main.js';

describe('CLI habits', function () {
  describe('a misspelt flag', function () {
    it('names the flag with its dashes, once (not its camel-case copy), with the closest real one', async function () {
      const run = await runMain(['--metric-listen', ':9100']);
      assert.equal(run.code, 2);
      assert.equal(
        run.stderr,
        "mmproxy: unknown flag --metric-listen; did you mean --metrics-listen?\nRun 'mmproxy --help' for usage.\n",
      );
    });

    it("points at the subcommand's own help", async function () {
      const run = await runMain(['doctor', '--jsno']);
      assert.equal(run.code, 2);
      assert.equal(
        run.stderr,
        "mmproxy: unknown flag --jsno; did you mean --json?\nRun 'mmproxy doctor --help' for usage.\n",
      );
    });

    it('says nothing it cannot back: no suggestion when nothing is close, one line per unknown flag', function () {
      assert.equal(
        usageMessage(
          'Unknown arguments: zzz, fooBar, foo-bar, extra',
          ['listen', 'json'],
          ['--zzz', '--foo-bar=1', 'extra'],
        ),
        'unknown flag --zzz\nunknown flag --foo-bar\n' +
          'unexpected word "extra": the flags before it take no value, or it is a misspelt command',
      );
      assert.equal(
        usageMessage('Not enough arguments following: mark', ['mark'], ['-mark']),
        'Not enough arguments following: mark',
      );
      assert.equal(helpHint(['-l', 'x'], ['doctor']), "Run 'mmproxy --help' for usage.");
      assert.deepEqual(closestNames('keepalve', ['keepalive', 'listen', 'mark']), ['keepalive']);
    });
  });

  describe('flags that do nothing under the chosen -p', function () {
    it('are named, TCP ones under udp and UDP ones under tcp; shared ones are not', function () {
      assert.deepEqual(flagsWithoutEffect(['max-connections', 'mark', 'keepalive'], 'udp'), [
        '--max-connections is a TCP setting and does nothing with -p udp',
        '--keepalive is a TCP setting and does nothing with -p udp',
      ]);
      assert.deepEqual(flagsWithoutEffect(['close-after', 'udp-header', 'listen'], 'tcp'), [
        '-close-after is a UDP setting and does nothing with -p tcp',
        '--udp-header is a UDP setting and does nothing with -p tcp',
      ]);
      assert.deepEqual(flagsWithoutEffect(['max-sessions'], 'udp'), []);
    });
  });

  describe('shell completion', function () {
    it('prints a bash completion script for mmproxy', async function () {
      const run = await runMain(['completion']);
      assert.equal(run.code, 0);
      assert.match(run.stdout, /complete -o bashdefault -o default -F _mmproxy_yargs_completions mmproxy/);
    });

    it("completes the subcommands and a subcommand's flags", async function () {
      const commands = await runMain(['--get-yargs-completions', 'mmproxy', '']);
      for (const name of ['doctor', 'top', 'setup-routing', 'send', 'check-config']) {
        assert.ok(commands.stdout.split('\n').includes(name), `${name} in ${commands.stdout}`);
      }
      const doctor = await runMain(['--get-yargs-completions', 'mmproxy', 'doctor', '--']);
      assert.ok(doctor.stdout.split('\n').includes('--from-running'));
    });
  });

  describe('the manual (man/mmproxy.1)', function () {
    const page = manPage(buildInfo().version);

    it('is the one the flag tables write (after a flag changes: npm run build:ts && npm run man)', function () {
      const committed = readFileSync(join(packageRoot(), 'man', 'mmproxy.1'), 'utf8');
      assert.equal(committed, page);
    });

    it('lists every flag of the proxy', function () {
      for (const name of Object.keys(PROXY_FLAGS)) {
        const written = name === 'target4' || name === 'target6' ? name.slice(-1) : name.replace(/-/g, '\\-');
        assert.ok(page.includes(`\\fB\\-${written}\\fR`) || page.includes(`\\-\\-${written}\\fR`), name);
      }
    });

    it('is valid roff: groff -man -ww reports nothing', function () {
      const warnings = execFileSync('groff', ['-man', '-ww', '-z'], { input: page, encoding: 'utf8', stdio: 'pipe' });
      assert.equal(warnings, '');
      const stderr = execFileSync('sh', ['-c', 'groff -man -ww -z 2>&1'], { input: page, encoding: 'utf8' });
      assert.equal(stderr, '');
    });
  });
});
