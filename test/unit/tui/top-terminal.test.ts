/**
 * The real `mmproxy top` command in a pseudo-terminal (python3's pty), reading
 * a real stats socket fed by recorded data: raw-mode keys, the terminal's own
 * size, and the proxy going away mid-run and coming back.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { startStatsServer, type StatsServer } from '../../../src/stats/server.js';
import { recordedFlow, recordedSource } from '../../support/recorded-source.js';
import { waitFor } from '../../support/wait-for.js';

const MMPROXY_BIN = fileURLToPath(new URL('../../../../bin/mmproxy.js', import.meta.url));
const PTY_RUN = fileURLToPath(new URL('../../../../test/support/pty_run.py', import.meta.url));

interface PtyRun {
  matched: () => number;
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

function ptyRun(args: string[]): PtyRun {
  const child = spawn('python3', [PTY_RUN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return {
    matched: () => (stderr.match(/^pty_run: matched \d+$/gm) ?? []).length,
    done: new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr }))),
  };
}

describe('mmproxy top in a terminal', function () {
  this.timeout(60_000);
  let dir: string;
  let path: string;
  let server: StatsServer | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mmproxy-top-pty-'));
    path = join(dir, 'proxy.sock');
  });

  afterEach(async () => {
    await server?.close();
    server = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('shows the flows at 80×24, sorts on s, reconnects after the proxy restarts, lists the keys on ?, and quits on q', async () => {
    // Given a proxy with one flow, and top running in an 80×24 terminal
    const source = recordedSource();
    source.current.flows = [recordedFlow(1, { client: { family: 4, address: '203.0.113.41', port: 41041 } })];
    server = await startStatsServer({ path, source });
    const run = ptyRun([
      '--cols',
      '80',
      '--rows',
      '24',
      '--timeout',
      '45',
      '--expect',
      '203\\.0\\.113\\.41:41041',
      '--then',
      's',
      '--expect',
      'sort:bytes',
      '--then',
      '',
      '--expect',
      'The proxy went away',
      '--then',
      '',
      '--expect',
      '203\\.0\\.113\\.42:42042',
      '--then',
      '?',
      '--expect',
      'r S +reverse the sort',
      '--then',
      'q',
      '--',
      process.execPath,
      MMPROXY_BIN,
      'top',
      '--stats-socket',
      path,
      '--interval',
      '0.2',
    ]);
    // When the proxy stops after the sort changed
    await waitFor('top to sort by bytes', () => run.matched() >= 2, 30_000);
    await server.close();
    // Then top says so, and when a proxy is back with another flow, top shows it
    await waitFor('top to notice', () => run.matched() >= 3, 30_000);
    source.current.flows = [recordedFlow(2, { client: { family: 4, address: '203.0.113.42', port: 42042 } })];
    server = await startStatsServer({ path, source });
    const { code, stdout, stderr } = await run.done;
    assert.equal(code, 0, `${stderr}\n${stdout.slice(-2000)}`);
    assert.match(stdout, /mmproxy top tcp 0\.0\.0\.0:8443 → 127\.0\.0\.1:8080/);
  });

  it('says no proxy is running, then picks it up when it starts', async () => {
    const run = ptyRun([
      '--cols',
      '60',
      '--rows',
      '24',
      '--timeout',
      '45',
      '--expect',
      'mmproxy is not running',
      '--then',
      '',
      '--expect',
      'No live flows right now',
      '--then',
      'q',
      '--',
      process.execPath,
      MMPROXY_BIN,
      'top',
      '--socket',
      path,
    ]);
    await waitFor('top to say the proxy is not running', () => run.matched() >= 1, 30_000);
    server = await startStatsServer({ path, source: recordedSource() });
    const { code, stdout, stderr } = await run.done;
    assert.equal(code, 0, `${stderr}\n${stdout.slice(-2000)}`);
    assert.match(stdout, /no mmproxy is running with a stats socket at\s/);
  });
});
