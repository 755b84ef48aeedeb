/**
 * A suite whose prerequisite is missing fails the run (non-zero exit, the reason and the install command),
 * unless MMPROXY_ALLOW_SKIP=1 makes it pending: mocha run for real on a tiny suite that needs a program that
 * does not exist.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ALLOW_SKIP_VARIABLE } from '../../support/prerequisite.js';

const MOCHA = createRequire(import.meta.url).resolve('mocha/bin/mocha.js');
const REQUIRE_MODULE = new URL('../../netns/support/require.js', import.meta.url).href;

const SUITE = `
import { requireProgram } from ${JSON.stringify(REQUIRE_MODULE)};
describe('a suite that needs a missing program', function () {
  before(function () { requireProgram(this, '/nonexistent/mmproxy-test-tool', 'mmproxy-test-tool'); });
  it('runs only where the program is installed', function () {});
});
`;

interface MochaJson {
  stats: { passes: number; pending: number; failures: number };
  failures: { err: { message: string } }[];
}

describe('missing test prerequisites', function () {
  this.timeout(60_000);
  let directory: string;

  before(function () {
    directory = mkdtempSync(join(tmpdir(), 'mmproxy-prerequisite-'));
    writeFileSync(join(directory, 'tiny.test.mjs'), SUITE);
  });

  after(function () {
    rmSync(directory, { recursive: true, force: true });
  });

  function runTinySuite(allowSkip: boolean): { status: number | null; report: MochaJson } {
    const env = { ...process.env };
    delete env[ALLOW_SKIP_VARIABLE];
    if (allowSkip) env[ALLOW_SKIP_VARIABLE] = '1';
    const run = spawnSync(process.execPath, [MOCHA, '--no-config', '--reporter', 'json', 'tiny.test.mjs'], {
      cwd: directory,
      env,
      encoding: 'utf8',
    });
    const json = run.stdout.slice(run.stdout.indexOf('{'));
    return { status: run.status, report: JSON.parse(json) as MochaJson };
  }

  it('fail the run, saying what is missing and how to install it', function () {
    const { status, report } = runTinySuite(false);
    assert.notEqual(status, 0);
    assert.equal(report.stats.failures, 1);
    assert.equal(report.stats.pending, 0);
    const message = report.failures[0]?.err.message ?? '';
    assert.match(
      message,
      /\/nonexistent\/mmproxy-test-tool not found: install it with apt-get install mmproxy-test-tool/,
    );
    assert.match(message, /set MMPROXY_ALLOW_SKIP=1 to skip it locally/);
  });

  it('leave the suite pending, and the run passing, with MMPROXY_ALLOW_SKIP=1', function () {
    const { status, report } = runTinySuite(true);
    assert.equal(status, 0);
    assert.equal(report.stats.failures, 0);
    assert.equal(report.stats.pending, 1);
  });

  it('are never allowed to skip in CI: .ci/run unsets the variable and forbids pending tests', function () {
    const ci = readFileSync(new URL('../../../../.ci/run', import.meta.url), 'utf8');
    assert.match(ci, new RegExp(`^unset ${ALLOW_SKIP_VARIABLE}$`, 'm'));
    assert.match(ci, /^npm test -- --forbid-pending$/m);
    assert.match(ci, /^bash scripts\/asan-netns\.sh --forbid-pending$/m);
  });
});
