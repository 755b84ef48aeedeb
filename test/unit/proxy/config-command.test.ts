/** `mmproxy --config FILE` through main(): the file holds every setting, so a flag beside it is a usage error. */
import { match, strictEqual } from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { EXIT_USAGE } from '../../../src/cli/main.js';
import { runMain } from '../cli/run-main.js';

describe('mmproxy --config (usage)', () => {
  let dir: string;
  let file: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mmproxy-config-cli-'));
    file = join(dir, 'mmproxy.toml');
    await writeFile(file, '[[listener]]\nname = "a"\nlisten = "192.0.2.1:8443"\nconect-timeout = "1s"\nmark = "x"\n');
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('a listener flag or a process flag beside --config: exit 2, naming each and where it goes instead', async () => {
    for (const args of [
      ['--config', file, '-l', '192.0.2.1:1', '-v', '1'],
      ['-config', file, '-l=192.0.2.1:1', '-v', '1'],
      ['-l', '192.0.2.1:1', '-v', '1', `--config=${file}`],
    ]) {
      const { code, stderr } = await runMain(args);
      strictEqual(code, EXIT_USAGE, stderr);
      match(
        stderr,
        /^mmproxy: -l, -v: with --config every setting comes from the file; put them there \(listen = …, verbose = …: process settings at the top, a listener's in \[defaults\] or its \[\[listener\]\] table\), or run without --config\n/,
      );
    }
    const { stderr } = await runMain(['--config', file, '-mark', '1']);
    match(stderr, /^mmproxy: -mark: .* put it there \(mark = …:/);
  });

  it('--help lists --config with the other mmproxy additions, and an example', async () => {
    const { stdout } = await runMain(['--help']);
    match(stdout, /--config +Run every listener of this config file/);
    match(stdout, /mmproxy --config \/etc\/mmproxy\/mmproxy\.toml\n/);
  });

  it("Go's -config FILE reads the file; its mistakes are usage errors, every one with its line and column", async () => {
    const { code, stderr } = await runMain(['-config', file]);
    strictEqual(code, EXIT_USAGE, stderr);
    match(
      stderr,
      /mmproxy: .*mmproxy\.toml:4:1: listener "a": conect-timeout: not a listener setting; did you mean "connect-timeout"\?\n/,
    );
    match(stderr, /mmproxy: .*mmproxy\.toml:5:8: listener "a": mark: /);
  });
});
