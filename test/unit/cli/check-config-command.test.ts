/** `mmproxy check-config FILE` through main(argv): exit 0 with a summary, 2 with every mistake on its own line. */
import { deepStrictEqual, strictEqual } from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { runMain as run } from './run-main.js';

describe('mmproxy check-config', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mmproxy-check-config-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function file(name: string, lines: string[]): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, `${lines.join('\n')}\n`);
    return path;
  }

  it('exits 0 for a config the proxy would run, reading its subnet files too', async () => {
    const lbs = await file('lbs.txt', ['192.0.2.7/24 # host bits set']);
    const config = await file('good.toml', [
      '[defaults]',
      `allowed-subnets = "${lbs}"`,
      '[[listener]]',
      'name = "mc"',
      'listen = "0.0.0.0:25565-25575"',
      'target4 = "127.0.0.1:25565-25575"',
      '[[listener]]',
      'name = "dns"',
      'protocol = "udp"',
      'listen = "0.0.0.0:53"',
    ]);
    const result = await run(['check-config', config]);
    strictEqual(result.code, 0, result.stderr);
    strictEqual(result.stdout, `${config}: ok, 2 listeners (1 tcp, 1 udp) on 12 ports\n`);
    strictEqual(result.stderr, `warning: ${lbs}:1: 192.0.2.7/24 has host bits set; using 192.0.2.0/24\n`);
  });

  it('exits 2 with each mistake of the file, and of its subnet files, on its own line', async () => {
    const config = await file('bad.toml', [
      'workers = 0',
      '[[listener]]',
      'name = "a"',
      'listen = "0.0.0.0:1"',
      `allowed-subnets = "${join(dir, 'missing.txt')}"`,
      'mark = -1',
    ]);
    const result = await run(['check-config', config]);
    strictEqual(result.code, 2);
    strictEqual(result.stdout, '');
    deepStrictEqual(result.stderr.trimEnd().split('\n'), [
      `${config}:1:11: workers: "0" must be a whole number from 1 to 1024`,
      `${config}:6:8: listener "a": mark: "-1" must be a whole number from 0 to 4294967295`,
    ]);
    const subnets = await file('subnets.toml', [
      '[[listener]]',
      'name = "a"',
      'listen = "0.0.0.0:1"',
      `allowed-subnets = "${join(dir, 'missing.txt')}"`,
    ]);
    const missing = await run(['check-config', subnets]);
    strictEqual(missing.code, 2);
    strictEqual(
      missing.stderr,
      `${subnets}: listener "a": allowed-subnets: cannot read allowed-subnets file ${join(dir, 'missing.txt')}: no such file or directory (ENOENT)\n`,
    );
  });

  it('exits 2 when the file cannot be read', async () => {
    const result = await run(['check-config', join(dir, 'nope.toml')]);
    strictEqual(result.code, 2);
    strictEqual(
      result.stderr,
      `${join(dir, 'nope.toml')}: cannot read the config file: no such file or directory (ENOENT)\n`,
    );
  });
});
