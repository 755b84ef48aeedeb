/*
 * `npm run demo`, run as a newcomer would, without a terminal: it must reach
 * every conclusion of its walk-through and leave nothing behind.
 *
 *   client4 ─┐
 *            lb (HAProxy, send-proxy-v2) ── app (mmproxy → service on 127.0.0.1 / ::1)
 *   client6 ─┘
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import type { DemoSummary } from '../../../scripts/demo/run-demo.js';
import { requireNetns } from '../support/index.js';

const DEMO = fileURLToPath(new URL('../../../scripts/demo/main.js', import.meta.url));
// The demo bounds itself (about 30 s); this only catches a hang.
const DEMO_TIMEOUT_MS = 150_000;

function runDemo(summaryFile: string): Promise<{ code: number | null; pid: number | undefined; output: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [DEMO, '--summary', summaryFile],
      { timeout: DEMO_TIMEOUT_MS, env: { ...process.env, NO_COLOR: '1' } },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({ code, pid: child.pid, output: stdout + stderr });
      },
    );
  });
}

describe('npm run demo', function () {
  this.timeout(DEMO_TIMEOUT_MS + 10_000);
  let workDir: string;

  before(function () {
    requireNetns(this);
    workDir = mkdtempSync(join(tmpdir(), 'mmproxy-demo-test-'));
  });

  after(function () {
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('shows real client addresses, the SD failure, the doctor naming the cause, and the fix', async function () {
    const summaryFile = join(workDir, 'summary.json');
    const { code, pid, output } = await runDemo(summaryFile);
    const summary = JSON.parse(readFileSync(summaryFile, 'utf8')) as DemoSummary;
    assert.deepEqual(
      { ...summary, haproxySDLine: undefined },
      {
        ok: true,
        realAddressesSeen: true,
        haproxyLoggedSD: true,
        proxyNamedCause: true,
        doctorFoundCause: true,
        fixRestoredTraffic: true,
        haproxySDLine: undefined,
      },
      output,
    );
    assert.match(summary.haproxySDLine ?? '', / 0 SD /);
    assert.equal(code, 0, output);

    const { stdout: namespaces } = await promisify(execFile)('ip', ['netns', 'list']);
    assert.ok(!namespaces.includes(`mmp-demo-${pid}-`), `the demo left namespaces behind:\n${namespaces}`);
  });
});
