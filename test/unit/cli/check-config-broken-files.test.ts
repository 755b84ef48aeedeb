/**
 * `mmproxy check-config FILE` as an operator runs it (the real bin/mmproxy.js, its exit status), on a file the
 * size of issue 17's: 50 listeners, eight mistakes of different kinds spread through it. Each is reported once, in
 * file order, at its own line and column, so an editor can jump to each; the unit tests (test/unit/config/) cover
 * every kind of mistake one by one, this the whole file at once.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MMPROXY_BIN = fileURLToPath(new URL('../../../../bin/mmproxy.js', import.meta.url));
const LISTENERS = 50;
const FIRST_PORT = 9000;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function checkConfig(file: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MMPROXY_BIN, 'check-config', file], (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
    );
  });
}

/** One listener's table; `edit` replaces or adds lines (by key) to plant a mistake. */
function listener(index: number, edit: Record<string, string> = {}): string[] {
  const lines: Record<string, string> = {
    name: `"svc-${index}"`,
    protocol: index % 5 === 4 ? '"udp"' : '"tcp"',
    listen: `"0.0.0.0:${FIRST_PORT + index}"`,
    target4: `"127.0.0.1:${FIRST_PORT + 1000 + index}"`,
    ...edit,
  };
  return ['', '[[listener]]', ...Object.entries(lines).map(([key, value]) => `${key} = ${value}`)];
}

function configText(edits: Record<number, Record<string, string>> = {}): string {
  const top = ['workers = 2', 'log-format = "json"', '', '[defaults]', 'allowed-subnets = ["192.0.2.1/32"]'];
  const tables = Array.from({ length: LISTENERS }, (_, index) => listener(index, edits[index]));
  return `${[...top, ...tables.flat()].join('\n')}\n`;
}

/** The line number (from 1) of the first or last line that is exactly `text`. */
function line(source: string, text: string, occurrence: 'first' | 'last' = 'first'): number {
  const lines = source.split('\n');
  const row = occurrence === 'first' ? lines.indexOf(text) : lines.lastIndexOf(text);
  assert.ok(row >= 0, `no line ${JSON.stringify(text)} in the file`);
  return row + 1;
}

/** `FILE:LINE:COLUMN` of the line that is exactly `text`, at the column where `value` starts in it. */
function at(file: string, source: string, text: string, value: string, occurrence: 'first' | 'last'): string {
  return `${file}:${line(source, text, occurrence)}:${text.indexOf(value) + 1}`;
}

describe('mmproxy check-config on a 50-listener file (the real command)', function () {
  this.timeout(20_000);
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mmproxy-check-config-cli-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('exits 0 and counts what it found when the file is right', async () => {
    const file = join(dir, 'good.toml');
    await writeFile(file, configText());
    const result = await checkConfig(file);
    assert.equal(result.stderr, '');
    assert.equal(result.stdout, `${file}: ok, 50 listeners (40 tcp, 10 udp) on 50 ports\n`);
    assert.equal(result.code, 0);
  });

  it('exits 2 with every mistake, each at its line and column, in file order, and prints nothing on stdout', async () => {
    const file = join(dir, 'broken.toml');
    const source = configText({
      7: { target4: '"127.0.0.1:70000"' },
      12: { 'header-timeout': '"5 seconds"' },
      19: { 'max-conections': '100' },
      23: { protocol: '"sctp"' },
      31: { listen: '"0.0.0.0:9003-9004"' },
      40: { name: '"svc-3"' },
      42: { workers: '4' },
      47: { 'allowed-subnets': '["192.0.2.0/33"]' },
    });
    await writeFile(file, source);
    const result = await checkConfig(file);
    assert.equal(result.stdout, '');
    assert.equal(result.code, 2, result.stderr);
    const where = (text: string, value: string, occurrence: 'first' | 'last' = 'first') =>
      at(file, source, text, value, occurrence);
    // A listener is named by the line of its [[listener]] header, the one above its name.
    const svc3 = line(source, 'name = "svc-3"') - 1;
    assert.deepEqual(result.stderr.trimEnd().split('\n'), [
      `${where('target4 = "127.0.0.1:70000"', '"')}: listener "svc-7": target4: "127.0.0.1:70000": the port must be a number from 1 to 65535`,
      `${where('header-timeout = "5 seconds"', '"')}: listener "svc-12": header-timeout: "5 seconds" must be a duration like 5, 2.5s, 500ms or 1m, from 1ms to 24h`,
      `${where('max-conections = 100', 'max')}: listener "svc-19": max-conections: not a listener setting; did you mean "max-connections"?`,
      `${where('protocol = "sctp"', '"')}: listener "svc-23": protocol: "sctp" must be one of tcp, udp`,
      // Port 9004 is svc-4's too, but over UDP: only the TCP listener on 9003 is in the way.
      `${where('listen = "0.0.0.0:9003-9004"', '"')}: listener "svc-31": listen: tcp 0.0.0.0:9003-9004 overlaps listener "svc-3" (0.0.0.0:9003, line ${svc3}); two listeners on one port would split its connections between them`,
      `${where('name = "svc-3"', '"', 'last')}: listener "svc-3": the name is taken by the listener at line ${svc3}; each needs its own`,
      `${where('workers = 4', 'workers')}: listener "svc-42": workers: a setting of the whole process; put it at the top of the file, before any table`,
      `${where('allowed-subnets = ["192.0.2.0/33"]', '"')}: listener "svc-47": allowed-subnets: prefix length "/33" must be 0 to 32`,
    ]);
  });
});
