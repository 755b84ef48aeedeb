/**
 * `mmproxy top --listener NAME` against a real stats socket served from a source with two listeners: the name is
 * checked against the proxy's listeners before anything is shown.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { main } from '../../../src/cli/main.js';
import { startStatsServer, type StatsServer } from '../../../src/stats/server.js';
import { recordedFlow, recordedListener, recordedListenerSource } from '../../support/recorded-source.js';

/** Runs `args`, returning the exit code and what went to stdout and stderr. */
async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const writes = { out: process.stdout.write.bind(process.stdout), err: process.stderr.write.bind(process.stderr) };
  process.stdout.write = (chunk: string) => ((stdout += chunk), true);
  process.stderr.write = (chunk: string) => ((stderr += chunk), true);
  try {
    return { code: await main(args), stdout, stderr };
  } finally {
    process.stdout.write = writes.out;
    process.stderr.write = writes.err;
  }
}

describe('mmproxy top --listener', () => {
  let dir: string;
  let server: StatsServer | undefined;
  let path: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mmproxy-top-listener-'));
    path = join(dir, 'stats.sock');
    const web = recordedListener('web', 8443);
    web.current.flows = [recordedFlow(1, { client: { family: 4, address: '203.0.113.1', port: 40001 } })];
    const dns = recordedListener('dns', 5353, { protocol: 'udp' });
    dns.current.flows = [recordedFlow(2, { client: { family: 4, address: '198.51.100.2', port: 40002 } })];
    server = await startStatsServer({ path, source: recordedListenerSource([web, dns]) });
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it("prints the named listener's flows only", async () => {
    const { code, stdout } = await run(['top', '--once', '--listener', 'dns', '--stats-socket', path]);
    assert.equal(code, 0);
    assert.match(stdout, /^dns · udp 192\.0\.2\.1:5353 · 0 active/m);
    assert.match(stdout, /^198\.51\.100\.2:40002 /m);
    assert.ok(!stdout.includes('203.0.113.1'), stdout);
  });

  it('refuses a name the proxy does not have, listing those it has (exit 1)', async () => {
    const { code, stdout, stderr } = await run(['top', '--once', '--listener', 'mail', '--stats-socket', path]);
    assert.equal(code, 1);
    assert.equal(stdout, '');
    assert.equal(
      stderr,
      'mmproxy top: --listener mail: the proxy has no listener of that name; its listeners: web, dns\n',
    );
  });
});
