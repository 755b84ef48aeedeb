import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { main } from '../../../src/cli/main.js';
import { startStatsServer } from '../../../src/stats/server.js';
import { recordedFlow, recordedSource } from '../../support/recorded-source.js';

/** Runs main() with stdout and stderr captured. */
async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const writes = {
    stdout: process.stdout.write.bind(process.stdout),
    stderr: process.stderr.write.bind(process.stderr),
  };
  const captured = { stdout: '', stderr: '' };
  for (const name of ['stdout', 'stderr'] as const) {
    process[name].write = (chunk: string | Uint8Array) => {
      captured[name] += String(chunk);
      return true;
    };
  }
  try {
    return { code: await main(args), ...captured };
  } finally {
    process.stdout.write = writes.stdout;
    process.stderr.write = writes.stderr;
  }
}

describe('mmproxy top command', () => {
  it('says the proxy is not running, and exits 1', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mmproxy-top-cli-'));
    try {
      const { code, stderr } = await run(['top', '--once', '--socket', join(dir, 'missing.sock')]);
      assert.equal(code, 1);
      assert.match(stderr, /^mmproxy top: no mmproxy is running with a stats socket at .*missing\.sock/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('Given a proxy, When --once names its socket as the proxy spells it (--stats-socket) or as --socket, Then both print its frame', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mmproxy-top-cli-'));
    const source = recordedSource();
    source.current.flows = [recordedFlow(1, { client: { family: 4, address: '203.0.113.77', port: 47777 } })];
    const server = await startStatsServer({ path: join(dir, 'p.sock'), source });
    try {
      for (const flag of ['--stats-socket', '--socket']) {
        const { code, stdout, stderr } = await run(['top', '--once', flag, join(dir, 'p.sock')]);
        assert.equal(code, 0, `${flag}: ${stderr}`);
        assert.match(stdout, /^203\.0\.113\.77:47777 +127\.0\.0\.1:40001 +127\.0\.0\.1:8080 +estab /m, flag);
      }
    } finally {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('Given a --stats-socket under a directory that does not exist, Then top says no proxy runs there and creates nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mmproxy-top-cli-'));
    try {
      const typo = join(dir, 'no', 'such', 'dir', 'x.sock');
      const { code, stderr } = await run(['top', '--once', '--stats-socket', typo]);
      assert.equal(code, 1);
      assert.match(stderr, /no mmproxy is running with a stats socket at .*no\/such\/dir\/x\.sock/);
      assert.deepEqual(await readdir(dir), [], 'nothing was created');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('lists --stats-socket, with --socket as its other name, and the keys in its help', async () => {
    const { code, stdout } = await run(['top', '--help']);
    assert.equal(code, 0);
    assert.match(stdout, /--stats-socket, --socket +The proxy's stats socket/);
    assert.match(stdout, /\? keys, q quit, s sort, r reverse, p pause, \/ filter/);
  });

  it('refuses an interval out of range as a usage error (exit 2)', async () => {
    const { code, stderr } = await run(['top', '--once', '--interval', '0']);
    assert.equal(code, 2);
    assert.match(stderr, /--interval must be from 0\.1 to 60 seconds/);
  });
});
