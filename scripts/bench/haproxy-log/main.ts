/**
 * `npm run bench:haproxy-log`: how long `mmproxy doctor --haproxy-log` takes on a 1 GiB log, and its peak
 * resident memory (issue 14's targets: under a minute, under 200 MB). The log is the field log's real lines
 * (/work/shared/fixtures/haproxy-field.log) repeated, written to a temporary directory and removed after. A benchmark, not a test: it exits 0 whatever the figures, non-zero only when the doctor fails.
 * HAPROXY_LOG_BENCH_BYTES sets another size.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { fieldLogLines, writeRepeatedLog } from './make-log.js';
import { measureDoctor } from './measure.js';

const TARGET_SECONDS = 60;
const TARGET_RSS_MB = 200;
const DEFAULT_BYTES = 1024 ** 3;

const bytes = Number(process.env['HAPROXY_LOG_BENCH_BYTES'] ?? DEFAULT_BYTES);
const directory = await mkdtemp(join(tmpdir(), 'mmproxy-haproxy-log-bench-'));
try {
  const log = join(directory, 'haproxy.log');
  const written = await writeRepeatedLog(log, fieldLogLines(), bytes);
  console.log(`log: ${(written.bytes / 1024 ** 2).toFixed(0)} MiB, ${written.lines} lines`);
  const run = await measureDoctor(log);
  if (run.code !== 0 && run.code !== 1) throw new Error(`the doctor failed (exit ${run.code}):\n${run.stderr}`);
  const rssMb = (run.maxRssMiB * 1024 ** 2) / 1e6;
  const rate = written.bytes / 1024 ** 2 / run.seconds;
  console.log(
    `time: ${run.seconds.toFixed(1)} s (${rate.toFixed(0)} MiB/s), target < ${TARGET_SECONDS} s: ${run.seconds < TARGET_SECONDS ? 'met' : 'NOT met'}`,
  );
  console.log(
    `peak RSS: ${rssMb.toFixed(0)} MB, target < ${TARGET_RSS_MB} MB: ${rssMb < TARGET_RSS_MB ? 'met' : 'NOT met'}`,
  );
  const report = JSON.parse(run.stdout) as { checks: { id: string; summary: string }[] };
  console.log(`haproxy-log: ${report.checks.find((check) => check.id === 'haproxy-log')?.summary}`);
} finally {
  await rm(directory, { recursive: true, force: true });
}
