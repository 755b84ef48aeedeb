import { deepStrictEqual } from 'node:assert/strict';

import { normaliseGoFlags, type GoFlagSpec } from '../../../src/config/go-flags.js';
import { goFlagSpec } from '../../../src/config/proxy-flags.js';

const spec: GoFlagSpec = {
  valueFlags: new Set(['listen', 'l', 'mark', 'target4', 'allowed-subnets']),
  renames: { '4': 'target4' },
};

describe('normaliseGoFlags: go-mmproxy spellings into what yargs reads', () => {
  it('turns single-dash long flags into double-dash ones', () => {
    deepStrictEqual(normaliseGoFlags(['-mark', '7', '-allowed-subnets', 'f'], spec), [
      '--mark',
      '7',
      '--allowed-subnets',
      'f',
    ]);
  });

  it('leaves double-dash flags and single-letter flags alone', () => {
    deepStrictEqual(normaliseGoFlags(['--mark', '7', '-l', '0.0.0.0:1'], spec), ['--mark', '7', '-l', '0.0.0.0:1']);
  });

  it('keeps -name=value together and splits a short -l=value as Go allows', () => {
    deepStrictEqual(normaliseGoFlags(['-mark=7', '-l=0.0.0.0:1'], spec), ['--mark=7', '-l', '0.0.0.0:1']);
  });

  it('renames -4 (which yargs would read as a negative number) in both dash forms', () => {
    deepStrictEqual(normaliseGoFlags(['-4', '127.0.0.1:22', '--4=127.0.0.1:23'], spec), [
      '--target4',
      '127.0.0.1:22',
      '--target4=127.0.0.1:23',
    ]);
  });

  it('never rewrites a value, even one that looks like a flag', () => {
    deepStrictEqual(normaliseGoFlags(['-mark', '-1', '-allowed-subnets', '-weird-file'], spec), [
      '--mark',
      '-1',
      '--allowed-subnets',
      '-weird-file',
    ]);
  });

  it('rewrites unknown single-dash words too, so yargs names them whole', () => {
    deepStrictEqual(normaliseGoFlags(['-bogus', '-help'], spec), ['--bogus', '--help']);
  });

  it('stops at "--"', () => {
    deepStrictEqual(normaliseGoFlags(['-mark', '1', '--', '-mark'], spec), ['--mark', '1', '--', '-mark']);
  });

  it("passes words that are not flags unchanged (a subcommand's positionals)", () => {
    deepStrictEqual(normaliseGoFlags(['routing', '-4', '127.0.0.1:80'], goFlagSpec()), [
      'routing',
      '--target4',
      '127.0.0.1:80',
    ]);
  });

  it('knows every value flag of the proxy, short and long, and -4/-6', () => {
    for (const name of [
      'listen',
      'l',
      'target4',
      'target6',
      'protocol',
      'p',
      'mark',
      'allowed-subnets',
      'listeners',
      'close-after',
      'verbose',
      'v',
      'header-timeout',
      'connect-timeout',
      'max-connections',
      'drain-timeout',
      'log-format',
      'stats-socket',
      'metrics-listen',
    ]) {
      deepStrictEqual(goFlagSpec().valueFlags.has(name), true, name);
    }
    deepStrictEqual(goFlagSpec().valueFlags.has('dynamic-destination'), false);
    deepStrictEqual(normaliseGoFlags(['-6', '[::1]:22'], goFlagSpec()), ['--target6', '[::1]:22']);
  });
});

describe('normaliseGoFlags: -v counted, as most Unix tools take it', () => {
  const counted = goFlagSpec();
  it('-vv is --verbose 2, -vvv --verbose 3', () => {
    deepStrictEqual(normaliseGoFlags(['-vv', '-l', 'x'], counted), ['--verbose', '2', '-l', 'x']);
    deepStrictEqual(normaliseGoFlags(['-vvv'], counted), ['--verbose', '3']);
  });
  it("-v alone, or before another flag, is --verbose 1; -v with a number is go-mmproxy's -v N", () => {
    deepStrictEqual(normaliseGoFlags(['-v'], counted), ['--verbose', '1']);
    deepStrictEqual(normaliseGoFlags(['-v', '-l', 'x'], counted), ['--verbose', '1', '-l', 'x']);
    deepStrictEqual(normaliseGoFlags(['-v', '2', '-l', 'x'], counted), ['-v', '2', '-l', 'x']);
    deepStrictEqual(normaliseGoFlags(['-v=0'], counted), ['-v', '0']);
  });
});
