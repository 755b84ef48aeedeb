import { deepStrictEqual, rejects, throws } from 'node:assert/strict';
import { mkdtemp, rm, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { loadSubnetFile, parseSubnetList, SubnetFileError } from '../../../src/config/allowed-subnets.js';

function fails(text: string, message: RegExp): void {
  throws(
    () => parseSubnetList(text, 'lbs.txt'),
    (error: unknown) => error instanceof SubnetFileError && message.test(error.message),
    JSON.stringify(text),
  );
}

describe('allowed-subnets file', () => {
  it('reads prefixes, comments and blank lines, IPv4 and IPv6', () => {
    const text = [
      '# load balancers',
      '192.0.2.0/24',
      '',
      '   198.51.100.0/25   # lb pool b',
      '2001:DB8::/32',
      '\t',
      '203.0.113.9',
      '2001:db8:1::5',
      '0.0.0.0/0',
    ].join('\n');
    deepStrictEqual(parseSubnetList(text, 'lbs.txt'), {
      subnets: ['192.0.2.0/24', '198.51.100.0/25', '2001:db8::/32', '203.0.113.9/32', '2001:db8:1::5/128', '0.0.0.0/0'],
      notes: [],
    });
  });

  it('accepts Windows line ends and drops duplicates', () => {
    deepStrictEqual(parseSubnetList('192.0.2.0/24\r\n192.0.2.0/24\r\n', 'f').subnets, ['192.0.2.0/24']);
  });

  it('normalises host bits, as go-mmproxy does, and says so', () => {
    deepStrictEqual(parseSubnetList('192.0.2.77/24\n2001:db8::1/32\n10.1.2.3/0\n', 'lbs.txt'), {
      subnets: ['192.0.2.0/24', '2001:db8::/32', '0.0.0.0/0'],
      notes: [
        'lbs.txt:1: 192.0.2.77/24 has host bits set; using 192.0.2.0/24',
        'lbs.txt:2: 2001:db8::1/32 has host bits set; using 2001:db8::/32',
        'lbs.txt:3: 10.1.2.3/0 has host bits set; using 0.0.0.0/0',
      ],
    });
  });

  it('names file and line of a bad entry', () => {
    fails('192.0.2.0/24\n\nlb.example.com/32\n', /^lbs.txt:3: "lb.example.com" is not a numeric IPv4 or IPv6 address$/);
    fails('192.0.2.0/33', /^lbs.txt:1: prefix length "\/33" must be 0 to 32$/);
    fails('2001:db8::/129', /^lbs.txt:1: prefix length "\/129" must be 0 to 128$/);
    fails('192.0.2.0/', /^lbs.txt:1: prefix length "\/" must be 0 to 32$/);
    fails('192.0.2.0/2x', /^lbs.txt:1: prefix length/);
    fails('192.0.2.0/24/8', /^lbs.txt:1: "192.0.2.0\/24\/8" is not a prefix like 192.0.2.0\/24$/);
    fails('192.0.2.0/24 198.51.100.0/24', /^lbs.txt:1: one prefix per line/);
    fails('# two lines\n192.0.2.1.5/32', /^lbs.txt:2: /);
  });

  it('refuses a file without any prefix: go-mmproxy would let every peer in', () => {
    fails('', /^lbs.txt: no prefixes found/);
    fails('# nothing yet\n\n', /^lbs.txt: no prefixes found; .*drop -allowed-subnets/);
  });

  describe('loading from disk', () => {
    let dir: string;
    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'mmproxy-subnets-'));
    });
    afterEach(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('loads a file', async () => {
      const path = join(dir, 'lbs.txt');
      await writeFile(path, '192.0.2.0/24\n');
      deepStrictEqual((await loadSubnetFile(path)).subnets, ['192.0.2.0/24']);
    });

    it('says why a file cannot be read', async () => {
      const missing = join(dir, 'missing.txt');
      await rejects(loadSubnetFile(missing), {
        name: 'SubnetFileError',
        message: `cannot read allowed-subnets file ${missing}: no such file or directory (ENOENT)`,
      });
      await rejects(loadSubnetFile(dir), {
        message: /cannot read allowed-subnets file .*: illegal operation on a directory \(EISDIR\)/,
      });
    });

    it('labels errors with the path it read', async () => {
      const path = join(dir, 'bad.txt');
      await writeFile(path, '192.0.2.0/24\nnope\n');
      await chmod(path, 0o644);
      await rejects(loadSubnetFile(path), { message: `${path}:2: "nope" is not a numeric IPv4 or IPv6 address` });
    });
  });
});
