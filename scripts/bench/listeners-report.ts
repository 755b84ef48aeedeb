/**
 * The table of one `scripts/bench/listeners.sh` run: memory of one mmproxy with many listeners against as many
 * go-mmproxy processes, and new connections/s over many listeners against one. Writes results.json and table.md
 * into the run's directory and prints the table. Usage: node dist/scripts/bench/listeners-report.js DIR
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

interface MemoryRow {
  contender: string;
  processes: number;
  listeners: number;
  idle_flows: number;
  rss_listening_kb: number;
  rss_idle_kb: number;
}

interface ConnrateRow {
  contender: string;
  processes: number;
  ports: number;
  connrate: { conns_per_s: number; p50_us: number; p99_us: number; completed: number; attempts: number };
}

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node dist/scripts/bench/listeners-report.js bench-results/<run>-listeners');
  process.exit(2);
}

const files = readdirSync(dir);
const read = <T>(suffix: string): T[] =>
  files.filter((file) => file.endsWith(suffix)).map((file) => JSON.parse(readFileSync(join(dir, file), 'utf8')) as T);
const errors = files
  .filter((file) => file.endsWith('.error'))
  .map((file) => readFileSync(join(dir, file), 'utf8').trim());
const memory = read<MemoryRow>('.memory.json');
const connrate = read<ConnrateRow>('.connrate-row.json');
const machine: unknown = existsSync(join(dir, 'machine.json'))
  ? JSON.parse(readFileSync(join(dir, 'machine.json'), 'utf8'))
  : {};

const mib = (kib: number): string => (kib / 1024).toFixed(1);
const lines = [
  '| memory | processes | listeners | idle flows | RSS listening (MiB) | RSS with idle flows (MiB) |',
  '| --- | ---: | ---: | ---: | ---: | ---: |',
  ...memory.map(
    (row) =>
      `| ${row.contender} | ${row.processes} | ${row.listeners} | ${row.idle_flows} | ${mib(row.rss_listening_kb)} | ${mib(row.rss_idle_kb)} |`,
  ),
  '',
  '| new connections | processes | ports the load is spread over | conn/s | p50 µs | p99 µs | completed / attempts |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...connrate.map(
    ({ contender, processes, ports, connrate: c }) =>
      `| ${contender} | ${processes} | ${ports} | ${c.conns_per_s.toFixed(0)} | ${c.p50_us} | ${c.p99_us} | ${c.completed} / ${c.attempts} |`,
  ),
  ...(errors.length > 0 ? ['', 'Failed:', ...errors.map((error) => `- ${error}`)] : []),
  '',
];
const table = lines.join('\n');
writeFileSync(join(dir, 'table.md'), table);
writeFileSync(join(dir, 'results.json'), `${JSON.stringify({ machine, memory, connrate, errors }, null, 2)}\n`);
process.stdout.write(table);
