/**
 * `doctor --haproxy-log` on a log too large to hold: streamed in bounded memory (a capped heap, a peak RSS
 * bound), with the field log's conclusions scaled by the number of repeats. Never a timing: the benchmark
 * (npm run bench:haproxy-log) prints the 1 GB figures.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';

import { fieldLogLines, writeRepeatedLog } from '../../../scripts/bench/haproxy-log/make-log.js';
import { measureDoctor } from '../../../scripts/bench/haproxy-log/measure.js';
import { HaproxyLogTally, MAX_SERVERS } from '../../../src/doctor/haproxy/log-tally.js';
import { MAX_LINE_CHARS, tallyHaproxyLog } from '../../../src/doctor/haproxy/read-log.js';
import { progressLine, terminalProgress } from '../../../src/doctor/haproxy/read-progress.js';
import type { JsonReport } from './replay.js';

// 40 MB (about 280,000 lines): more than the capped heap could hold, read in a few seconds.
const LOG_BYTES = 40e6;
// Well below the log's size: reading the log whole, or keeping every session, cannot fit.
const HEAP_CAP_MIB = 32;
// The bound for a 1 GB log; a 40 MB log must stay under it too.
const RSS_BOUND_MIB = 200;

function summaryOf(tally: HaproxyLogTally) {
  return {
    sessions: tally.sessions,
    skippedLines: tally.skippedLines,
    states: [...tally.states],
    servers: [...tally.servers].map(([key, server]) => ({
      key,
      sessions: server.sessions,
      states: [...server.stateCounts],
      stuck: server.stuck,
      median: server.stuckTimes.median(),
      examples: server.exampleLines,
    })),
  };
}

describe('HAProxy log streaming', function () {
  describe('a 40 MB log through the doctor', function () {
    this.timeout(180_000);
    let directory: string;

    before(async function () {
      directory = await mkdtemp(join(tmpdir(), 'mmproxy-haproxy-log-'));
    });

    after(async function () {
      await rm(directory, { recursive: true, force: true });
    });

    it(`stays under a ${HEAP_CAP_MIB} MiB heap and ${RSS_BOUND_MIB} MiB RSS, with the field log's conclusions`, async function () {
      // Given the field log's real lines repeated to 40 MB
      const lines = fieldLogLines();
      const log = join(directory, 'haproxy.log');
      const { repeats } = await writeRepeatedLog(log, lines, LOG_BYTES);
      // When the doctor reads it with its heap capped
      const run = await measureDoctor(log, HEAP_CAP_MIB);
      // Then it finishes (exit 1: aaa is broken), in bounded memory
      assert.equal(run.code, 1, run.stderr);
      assert.ok(run.maxRssMiB < RSS_BOUND_MIB, `peak RSS ${run.maxRssMiB.toFixed(0)} MiB`);
      // And concludes what it concludes on the field log, with every count times the repeats
      const check = (JSON.parse(run.stdout) as JsonReport).checks.find((c) => c.id === 'haproxy-log');
      const r = repeats;
      assert.equal(
        check?.summary,
        `server aaa: ${2 * r}/${2 * r} sessions aborted by the server side after ~7.1 s with 0 bytes — mmproxy on aaa could not complete its upstream connect; run \`mmproxy doctor\` on aaa`,
      );
      assert.deepEqual(check?.evidence.slice(0, 2), [
        `server bbb: ${5 * r} sessions, healthy (${3 * r} × --, ${2 * r} × cD)`,
        `server ccc: ${7 * r} sessions, healthy (${2 * r} × cD, ${4 * r} × --, ${r} × CD)`,
      ]);
      assert.ok(check?.evidence.includes(`${14 * r} sessions read`), check?.evidence.join('\n'));
      assert.deepEqual(check?.evidence.slice(-2), [`aaa, e.g. line 1: ${lines[0]}`, `aaa, e.g. line 2: ${lines[1]}`]);
    });
  });

  describe('the worst log for its tally: many servers, stuck times spread over a day', function () {
    this.timeout(180_000);
    let directory: string;

    before(async function () {
      directory = await mkdtemp(join(tmpdir(), 'mmproxy-haproxy-log-'));
    });

    after(async function () {
      await rm(directory, { recursive: true, force: true });
    });

    it(`stays under a ${HEAP_CAP_MIB} MiB heap: histograms coarsen, servers past MAX_SERVERS are only counted`, async function () {
      // Given 1,100 servers, each with 400 stuck sessions at distinct times over a day (more than MAX_DISTINCT in all)
      const servers = MAX_SERVERS + 76;
      const rounds = 400;
      const log = join(directory, 'spread.log');
      const out = createWriteStream(log);
      let state = 1;
      for (let round = 0; round < rounds; round++) {
        const lines: string[] = [];
        for (let server = 0; server < servers; server++) {
          state = (state * 1103515245 + 12345) % 2 ** 31;
          lines.push(
            `10.0.0.1:4000 [30/May/2024:16:47:19.349] fe be/s${server} 0/0/${state % 86_400_000} 0 SD 1/1/0/0/0 0/0\n`,
          );
        }
        if (!out.write(lines.join(''))) await once(out, 'drain');
      }
      out.end();
      await once(out, 'finish');
      // When the doctor reads it with its heap capped
      const run = await measureDoctor(log, HEAP_CAP_MIB);
      // Then it finishes, counting what it could not analyse
      assert.equal(run.code, 0, run.stderr);
      const check = (JSON.parse(run.stdout) as JsonReport).checks.find((c) => c.id === 'haproxy-log');
      assert.equal(check?.status, 'warn');
      assert.ok(check?.evidence.includes(`${servers * rounds} sessions read`), check?.evidence.join('\n'));
      assert.ok(
        check?.evidence.includes(`${76 * rounds} sessions of servers beyond the first ${MAX_SERVERS} not analysed`),
        check?.evidence.join('\n'),
      );
    });
  });

  describe('line splitting', function () {
    const text = [
      'May 30 16:47:26 lb haproxy[1]: 192.0.2.9:4000 [30/May/2024:16:47:19.349] fe be/wéb1 0/0/5004 0 SD 1/1/0/0/0 0/0\r',
      '',
      'Proxy fe started.',
      '10.0.0.1:4000 [30/May/2024:16:47:19.349] fe be/web2 0/0/5004 10 -- 1/1/0/0/0 0/0',
      '10.0.0.1:4001 [30/May/2024:16:47:19.349] fe be/wéb1 0/0/5010 0 SD 1/1/0/0/0 0/0',
    ].join('\n');

    for (const size of [1, 2, 3, 7, 64]) {
      it(`gives the whole text's tally when read in ${size}-byte chunks (lines and characters cut anywhere)`, async function () {
        const bytes = Buffer.from(text);
        const chunks = Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) =>
          bytes.subarray(i * size, (i + 1) * size),
        );
        assert.deepEqual(
          summaryOf(await tallyHaproxyLog(Readable.from(chunks))),
          summaryOf(HaproxyLogTally.ofText(text)),
        );
      });
    }

    it('reads a broken UTF-8 sequence as Buffer#toString does, wherever the chunks are cut', async function () {
      const session = (server: string) =>
        Buffer.from(`10.0.0.1:4000 [30/May/2024:16:47:19.349] fe be/${server} 0/0/5004 0 SD 1/1/0/0/0 0/0\n`, 'latin1');
      // 0xc3 starts a two-byte character that never comes: U+FFFD, then the ASCII that follows.
      const bytes = Buffer.concat([session('a\xc3b'), session('plain'), session('\xc3')]);
      for (const size of [1, 2, 5]) {
        const chunks = Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) =>
          bytes.subarray(i * size, (i + 1) * size),
        );
        assert.deepEqual(
          summaryOf(await tallyHaproxyLog(Readable.from(chunks))),
          summaryOf(HaproxyLogTally.ofText(bytes.toString('utf8'))),
        );
      }
    });

    it('cuts a line longer than it needs, keeping the session fields at its front', async function () {
      const session = '10.0.0.1:4000 [30/May/2024:16:47:19.349] fe be/web1 0/0/5004 0 SD 1/1/0/0/0 0/0 ';
      const huge = session + 'x'.repeat(4 * MAX_LINE_CHARS);
      const chunks = Array.from({ length: 64 }, (_, i) =>
        huge.slice((i * huge.length) / 64, ((i + 1) * huge.length) / 64),
      );
      const tally = await tallyHaproxyLog(Readable.from([...chunks, '\n', session]));
      assert.equal(tally.sessions, 2);
      assert.equal(tally.servers.get('be/web1')?.exampleLines[0]?.line, 1);
      assert.ok((tally.servers.get('be/web1')?.exampleLines[0]?.text.length ?? Infinity) <= MAX_LINE_CHARS);
    });
  });

  describe('the progress line', function () {
    it('says how much is read, of how much when the size is known', function () {
      assert.equal(
        progressLine('h.log', 512 * 2 ** 20, 2 ** 30, 3_712_000),
        'reading h.log: 512 of 1024 MiB (50 %), 3712000 lines',
      );
      assert.equal(
        progressLine('the log on stdin', 3 * 2 ** 20, null, 20),
        'reading the log on stdin: 3 MiB, 20 lines',
      );
    });

    it('is redrawn in place on a terminal, at most every 250 ms, and cleared at the end', function () {
      let clock = 0;
      const written: string[] = [];
      const progress = terminalProgress(
        { isTTY: true, write: (text: string) => written.push(text) },
        'h.log',
        2 ** 21,
        () => clock,
      );
      progress.update(2 ** 20, 10);
      clock = 300;
      progress.update(2 ** 20, 10);
      clock = 400;
      progress.update(2 ** 21, 20);
      progress.done();
      assert.deepEqual(written, ['\r\x1b[2Kreading h.log: 1 of 2 MiB (50 %), 10 lines', '\r\x1b[2K']);
    });

    it('writes nothing when stderr is not a terminal', function () {
      const written: string[] = [];
      const progress = terminalProgress({ write: (text: string) => written.push(text) }, 'h.log', null, () => 1e9);
      progress.update(1, 1);
      progress.done();
      assert.deepEqual(written, []);
    });
  });
});
