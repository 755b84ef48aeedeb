/**
 * Compares our flags with the go-mmproxy binary installed from Debian: every
 * flag it has, we have, with the same default, except where noted below.
 */
import { strictEqual, ok } from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

import { PROXY_FLAGS } from '../../../src/config/proxy-flags.js';
import { parseFlags } from '../config/parse-flags.js';

import { requirePrerequisite } from '../../support/prerequisite.js';

/** go-mmproxy's flag name → ours. */
const OUR_NAME: Record<string, keyof typeof PROXY_FLAGS> = {
  '4': 'target4',
  '6': 'target6',
  l: 'listen',
  p: 'protocol',
  v: 'verbose',
};

/**
 * Deliberate differences. go-mmproxy runs every connection on goroutines over
 * all CPUs whatever -listeners says; ours runs one thread per listener, so the
 * same throughput needs one listener per CPU.
 */
const DIFFERENT_DEFAULT = new Set(['listeners']);

interface GoFlag {
  name: string;
  type: string;
  defaultValue: string;
}

/** Parses Go's flag.PrintDefaults output: "  -name type\n    \tusage (default X)". */
function goFlags(help: string): GoFlag[] {
  const flags: GoFlag[] = [];
  for (const block of help.split(/\n(?=  -)/).slice(1)) {
    const header = /^ {2}-(\S+)(?: (\S+))?/.exec(block);
    if (!header) continue;
    const declared = /\(default ("[^"]*"|\S+)\)/.exec(block)?.[1];
    const type = header[2] ?? 'bool';
    const zero = type === 'int' ? '0' : type === 'bool' ? 'false' : '';
    flags.push({ name: header[1]!, type, defaultValue: declared ? declared.replace(/^"|"$/g, '') : zero });
  }
  return flags;
}

describe('parity with the installed go-mmproxy', function () {
  let flags: GoFlag[] = [];

  before(function () {
    const run = spawnSync('go-mmproxy', ['-h'], { encoding: 'utf8', timeout: 5000 });
    requirePrerequisite(
      this,
      run.error ? `go-mmproxy is not installed (${run.error.message}): apt-get install go-mmproxy` : null,
    );
    flags = goFlags(run.stderr + run.stdout);
  });

  it("finds go-mmproxy's flags in its help", () => {
    ok(flags.length >= 9, `parsed ${flags.length} flags`);
  });

  it('has every go-mmproxy flag, with the same default unless documented', () => {
    for (const flag of flags) {
      const ours = OUR_NAME[flag.name] ?? (flag.name as keyof typeof PROXY_FLAGS);
      const spec = PROXY_FLAGS[ours];
      ok(spec, `go-mmproxy's -${flag.name} has no counterpart`);
      if (DIFFERENT_DEFAULT.has(ours)) continue;
      const ourDefault = 'default' in spec ? String(spec.default) : '';
      strictEqual(ourDefault, flag.defaultValue, `default of -${flag.name}`);
    }
  });

  it("reads go-mmproxy's own example invocation", () => {
    const options = parseFlags([
      '-l',
      '0.0.0.0:25577',
      '-4',
      '127.0.0.1:25578',
      '-6',
      '[::1]:25578',
      '--allowed-subnets',
      './path-prefixes.txt',
    ]);
    strictEqual(options.listen.port, 25577);
    strictEqual(options.target6?.address, '::1');
    strictEqual(options.allowedSubnetsFile, './path-prefixes.txt');
  });
});
