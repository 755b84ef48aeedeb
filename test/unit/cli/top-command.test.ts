import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { main } from '../../../src/cli/main.js';

/** Runs main() with stderr captured. */
async function run(args: string[]): Promise<{ code: number; stderr: string }> {
  const write = process.stderr.write.bind(process.stderr);
  let stderr = '';
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  try {
    return { code: await main(args), stderr };
  } finally {
    process.stderr.write = write;
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

  it('refuses an interval out of range as a usage error (exit 2)', async () => {
    const { code, stderr } = await run(['top', '--once', '--interval', '0']);
    assert.equal(code, 2);
    assert.match(stderr, /--interval must be from 0\.1 to 60 seconds/);
  });
});
