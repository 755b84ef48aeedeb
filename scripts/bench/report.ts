/**
 * Turns one benchmark run's raw files (written by scripts/bench/run.sh) into
 * results.json and a markdown table on stdout that can be pasted into the
 * README. Usage: node dist/scripts/bench/report.js bench-results/<run>
 */
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const CONTENDERS = ['direct', 'go-mmproxy', 'mmproxy'] as const;
type Contender = (typeof CONTENDERS)[number];

interface Machine {
  date: string;
  nproc: number;
  load_at_start: string;
  load_at_end?: string;
  cpu_model: string;
  kernel: string;
  node: string;
  go_mmproxy: string;
  mmproxy_revision: string;
  mmproxy_command: string;
  seconds: number;
  rounds: number;
  idle_conns: number;
  listeners: number;
  client_cpu: string;
  server_cpu: string;
  fd_limit: number;
}

/** One workload's figures for one contender, or why there are none. */
type Missing = { ok: false; why: 'skipped' | 'failed' | 'not run' | 'not applicable'; reason: string };
type Outcome<T> = { ok: true; value: T } | Missing;

interface Pingpong {
  messages_per_s: number;
  p50_us: number;
  p99_us: number;
}
interface Bulk {
  gbit_per_s: number;
}
interface Connrate {
  conns_per_s: number;
  p50_us: number;
  p99_us: number;
  connect_errors: number;
  closed_early: number;
  timeouts: number;
  /** Echoes that differed from what the connection sent. */
  corrupted: number;
}
interface Idle {
  established: number;
  rss_before_kb: number;
  rss_after_kb: number;
  spoofed_upstreams: number;
  bytes_per_conn: number;
}

interface ContenderResults {
  pingpong: Outcome<Pingpong>;
  bulk: Outcome<Bulk>;
  connrate: Outcome<Connrate>;
  idle: Outcome<Idle>;
}

interface Target {
  name: string;
  rule: string;
  ratio: number | null;
  met: boolean | null;
}

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

/** Each numeric field's median over the rounds; other fields from round 1. */
function median<T extends object>(rounds: T[]): T {
  const merged: Record<string, unknown> = { ...rounds[0] };
  for (const [key, first] of Object.entries(merged)) {
    if (typeof first !== 'number') continue;
    const sorted = rounds.map((r) => (r as Record<string, number>)[key] ?? first).sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    merged[key] = sorted.length % 2 === 1 ? sorted[mid] : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
  }
  return merged as T;
}

function outcome<T extends object>(
  dir: string,
  contender: Contender,
  workload: string,
  rounds: number,
  read: (base: string) => T,
): Outcome<T> {
  const skipped = join(dir, `${contender}.skipped`);
  const values: T[] = [];
  if (existsSync(skipped)) {
    return { ok: false, why: 'skipped', reason: `${contender} skipped: ${readFileSync(skipped, 'utf8').trim()}` };
  }
  for (let round = 1; round <= rounds; round++) {
    const base = join(dir, `${contender}-${workload}.r${round}`);
    if (existsSync(`${base}.error`)) {
      return { ok: false, why: 'failed', reason: readFileSync(`${base}.error`, 'utf8').trim() };
    }
    if (!existsSync(`${base}.json`)) return { ok: false, why: 'not run', reason: `${contender} ${workload} not run` };
    values.push(read(base));
  }
  return { ok: true, value: median(values) };
}

function readIdle(base: string): Idle {
  const opened = readJson<{ established: number }>(`${base}.json`);
  const rss = readJson<Omit<Idle, 'established' | 'bytes_per_conn'>>(`${base}.rss.json`);
  const bytesPerConn = ((rss.rss_after_kb - rss.rss_before_kb) * 1024) / opened.established;
  return { established: opened.established, ...rss, bytes_per_conn: Math.round(bytesPerConn) };
}

function readContender(dir: string, contender: Contender, rounds: number): ContenderResults {
  const plain = <T>(base: string): T => readJson<T>(`${base}.json`);
  return {
    pingpong: outcome(dir, contender, 'pingpong', rounds, plain<Pingpong>),
    bulk: outcome(dir, contender, 'bulk', rounds, plain<Bulk>),
    connrate: outcome(dir, contender, 'connrate', rounds, plain<Connrate>),
    idle:
      contender === 'direct'
        ? { ok: false, why: 'not applicable', reason: 'no proxy to weigh' }
        : outcome(dir, contender, 'idle', rounds, readIdle),
  };
}

function value<T>(o: Outcome<T>): T | null {
  return o.ok ? o.value : null;
}

/** mmproxy / baseline, compared with `at least` or `at most` the goal. */
function target(
  name: string,
  rule: string,
  mine: number | undefined,
  base: number | undefined,
  goal: number,
  direction: 'min' | 'max',
): Target {
  if (mine === undefined || base === undefined || base === 0) return { name, rule, ratio: null, met: null };
  const ratio = mine / base;
  return { name, rule, ratio, met: direction === 'min' ? ratio >= goal : ratio <= goal };
}

function targets(r: Record<Contender, ContenderResults>): Target[] {
  const mm = r.mmproxy,
    go = r['go-mmproxy'];
  return [
    target(
      'bulk throughput',
      'mmproxy ≥ 0.95 × direct',
      value(mm.bulk)?.gbit_per_s,
      value(r.direct.bulk)?.gbit_per_s,
      0.95,
      'min',
    ),
    target(
      'small messages/s',
      'mmproxy ≥ 1.2 × go-mmproxy',
      value(mm.pingpong)?.messages_per_s,
      value(go.pingpong)?.messages_per_s,
      1.2,
      'min',
    ),
    target(
      'new connections/s',
      'mmproxy ≥ 1.5 × go-mmproxy',
      value(mm.connrate)?.conns_per_s,
      value(go.connrate)?.conns_per_s,
      1.5,
      'min',
    ),
    target(
      'memory per idle connection',
      'mmproxy ≤ 0.5 × go-mmproxy',
      value(mm.idle)?.bytes_per_conn,
      value(go.idle)?.bytes_per_conn,
      0.5,
      'max',
    ),
  ];
}

const number = (n: number, digits = 0): string =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** The load generator's histogram tops out at 1 s (HIST_MAX_US in c/bench.h). */
const HIST_MAX_US = 1_000_000;
const micros = (us: number): string => (us >= HIST_MAX_US ? `≥ ${number(HIST_MAX_US)}` : number(us));

function format<T>(o: Outcome<T>, show: (v: T) => string): Outcome<string> {
  return o.ok ? { ok: true, value: show(o.value) } : o;
}

/** One table row: a label and how one contender's results fill its cell. */
interface Row {
  label: string;
  cell: (c: ContenderResults) => Outcome<string>;
}

function rows(machine: Machine): Row[] {
  const rss = (kb: number): string => number(kb / 1024, 1);
  return [
    {
      label: 'small messages: msg/s (50 conns, 64 B)',
      cell: (c) => format(c.pingpong, (v) => number(v.messages_per_s)),
    },
    {
      label: 'small messages: p50 / p99 round trip (µs)',
      cell: (c) => format(c.pingpong, (v) => `${micros(v.p50_us)} / ${micros(v.p99_us)}`),
    },
    { label: 'bulk: Gbit/s (4 conns, backend → client)', cell: (c) => format(c.bulk, (v) => number(v.gbit_per_s, 2)) },
    { label: 'new connections/s (50 slots)', cell: (c) => format(c.connrate, (v) => number(v.conns_per_s)) },
    {
      label: 'new connections: p50 / p99 (µs)',
      cell: (c) => format(c.connrate, (v) => `${micros(v.p50_us)} / ${micros(v.p99_us)}`),
    },
    {
      label: 'new connections failed: connect / early close / timeout / wrong echo',
      cell: (c) =>
        format(c.connrate, (v) => `${v.connect_errors} / ${v.closed_early} / ${v.timeouts} / ${v.corrupted}`),
    },
    {
      label: `memory per idle connection (bytes, ${number(machine.idle_conns)} open)`,
      cell: (c) => format(c.idle, (v) => number(v.bytes_per_conn)),
    },
    {
      label: 'proxy RSS before → after (MiB)',
      cell: (c) => format(c.idle, (v) => `${rss(v.rss_before_kb)} → ${rss(v.rss_after_kb)}`),
    },
    {
      label: "idle: upstreams from the client's own address",
      cell: (c) => format(c.idle, (v) => `${number(v.spoofed_upstreams)} of ${number(v.established)}`),
    },
  ];
}

function markdownTable(header: string[], body: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

function render(machine: Machine, results: Record<Contender, ContenderResults>, goals: Target[]): string {
  const notes: string[] = [];
  const cell = (o: Outcome<string>): string => {
    if (o.ok) return o.value;
    if (o.why === 'not applicable') return '—';
    if (o.why === 'not run') return 'not run';
    if (!notes.includes(o.reason)) notes.push(o.reason);
    return `${o.why} [${notes.indexOf(o.reason) + 1}]`;
  };
  const body = rows(machine).map((r) => [r.label, ...CONTENDERS.map((c) => cell(r.cell(results[c])))]);
  const goalBody = goals.map((g) => [
    g.name,
    g.rule,
    g.ratio === null ? '—' : `${number(g.ratio, 2)}×`,
    g.met === null ? 'not measured' : g.met ? 'met' : 'not met',
  ]);
  return [
    `Measured ${machine.date} on ${machine.nproc} × ${machine.cpu_model}, Linux ${machine.kernel}, ` +
      `Node ${machine.node}, go-mmproxy ${machine.go_mmproxy}, mmproxy ${machine.mmproxy_revision} ` +
      `(\`${machine.mmproxy_command}\`).`,
    `Load generator pinned to CPU ${machine.client_cpu}; backend and proxy share CPU ${machine.server_cpu} ` +
      `(taskset), so direct and proxied runs get the same two cores. -listeners ${machine.listeners} for ` +
      `both proxies; ${machine.seconds} s per timed workload; ` +
      (machine.rounds > 1 ? `median of ${machine.rounds} interleaved rounds; ` : 'one round; ') +
      'PROXY v2 headers; one network namespace, loopback only; ' +
      `open-file limit ${machine.fd_limit}. Load average (1/5/15 min) at start ${machine.load_at_start}, ` +
      `at end ${machine.load_at_end ?? '?'}.`,
    '',
    markdownTable(['workload', ...CONTENDERS], body),
    '',
    markdownTable(['target', 'rule', 'ratio', 'status'], goalBody),
    ...(notes.length ? ['', ...notes.map((n, i) => `[${i + 1}] ${n}`)] : []),
  ].join('\n');
}

function main(dir: string | undefined): void {
  if (!dir) {
    process.stderr.write('usage: node dist/scripts/bench/report.js bench-results/<run>\n');
    process.exitCode = 2;
    return;
  }
  // Other work on the machine skews every figure; the load average says how much there was.
  const machine = {
    ...readJson<Machine>(join(dir, 'machine.json')),
    load_at_end: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
  };
  const results = Object.fromEntries(CONTENDERS.map((c) => [c, readContender(dir, c, machine.rounds)])) as Record<
    Contender,
    ContenderResults
  >;
  const goals = targets(results);
  const resultsPath = join(dir, 'results.json');
  writeFileSync(resultsPath, `${JSON.stringify({ machine, results, targets: goals }, null, 2)}\n`);
  copyFileSync(resultsPath, join(dirname(dir), 'latest.json'));
  const table = render(machine, results, goals);
  writeFileSync(join(dir, 'table.md'), `${table}\n`);
  process.stdout.write(`${table}\n\nResults: ${resultsPath}\n`);
}

main(process.argv[2]);
