/**
 * Turns one benchmark run's raw files (written by scripts/bench/run.sh) into
 * results.json and a markdown table on stdout that can be pasted into the
 * README. Usage: node dist/scripts/bench/report.js bench-results/<run>
 */
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Contenders run before the run recorded its list (machine.json without `contenders`). */
const DEFAULT_CONTENDERS = ['direct', 'go-mmproxy', 'mmproxy'];
const DEFAULT_WORKLOADS = ['pingpong', 'bulk', 'connrate', 'idle'];

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
  rps?: string;
  contenders?: string[];
  workloads?: string[];
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
interface Stall {
  conns: number;
  /** Bytes the kernel took from the load generator and no longer holds in its send queue, per flow. */
  held_per_flow: number;
  /** Flows that reached the load generator's cap: the path never filled. */
  capped: number;
  /** skmem r + w (truesize of queued skbs) of every socket but the load generator's, per flow. */
  socket_memory_per_flow: number;
  /** The same for the proxy's own sockets only (0 for direct). */
  proxy_socket_memory_per_flow: number;
}
interface FreshRss {
  rss_kb: number;
}

interface ContenderResults {
  rss: Outcome<FreshRss>;
  pingpong: Outcome<Pingpong>;
  bulk: Outcome<Bulk>;
  connrate: Outcome<Connrate>;
  stall: Outcome<Stall>;
  idle: Outcome<Idle>;
}
type Results = Record<string, ContenderResults>;

interface Target {
  name: string;
  rule: string;
  /** Per mmproxy contender: the measured ratio (or MiB) and whether it meets the rule. */
  by: Record<string, { shown: string; met: boolean } | null>;
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
  contender: string,
  workload: string,
  machine: Machine,
  read: (base: string) => T,
): Outcome<T> {
  const skipped = join(dir, `${contender}.skipped`);
  const values: T[] = [];
  if (existsSync(skipped)) {
    return { ok: false, why: 'skipped', reason: `${contender} skipped: ${readFileSync(skipped, 'utf8').trim()}` };
  }
  if (!(machine.workloads ?? DEFAULT_WORKLOADS).includes(workload)) {
    return { ok: false, why: 'not run', reason: `${workload} not run` };
  }
  for (let round = 1; round <= machine.rounds; round++) {
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

interface SocketLine {
  local: { address: string; port: number };
  peer: { address: string; port: number };
  /** skmem r (receive queue) + w (write queue) + bl (backlog): truesize of the skbs the socket holds. */
  memory: number;
}

function endpoint(text: string): { address: string; port: number } {
  const colon = text.lastIndexOf(':');
  return { address: text.slice(0, colon).replace(/^\[|\]$/g, ''), port: Number(text.slice(colon + 1)) };
}

/** `ss -tmnOH` lines: state, Recv-Q, Send-Q, local, peer, then skmem:(r..,rb..,t..,tb..,f..,w..,o..,bl..,d..). */
function parseSockets(text: string): SocketLine[] {
  const sockets: SocketLine[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    const skmem = /skmem:\(([^)]*)\)/.exec(line);
    if (line.startsWith('#') || fields.length < 5 || !skmem?.[1]) continue;
    const values = Object.fromEntries(
      skmem[1].split(',').map((pair) => {
        const [, key = '', number = '0'] = /^([a-z]+)(\d+)$/.exec(pair) ?? [];
        return [key, Number(number)];
      }),
    );
    sockets.push({
      local: endpoint(fields[3] ?? ''),
      peer: endpoint(fields[4] ?? ''),
      memory: (values.r ?? 0) + (values.w ?? 0) + (values.bl ?? 0),
    });
  }
  return sockets;
}

/**
 * Whose socket: the backend's listen port is the backend's; the proxy's
 * listen port, or a spoofed client address towards the backend, the proxy's;
 * the rest (ephemeral ports on 127.0.0.1) the load generator's.
 */
function readStall(base: string): Stall {
  const loadgen = readJson<{ conns: number; held_per_flow: number; capped: number }>(`${base}.json`);
  const text = readFileSync(`${base}.ss.txt`, 'utf8');
  const ports = /listen_port=(\d+) backend_port=(\d+)/.exec(text);
  const listen = Number(ports?.[1]);
  const backend = Number(ports?.[2]);
  let all = 0;
  let proxy = 0;
  for (const socket of parseSockets(text)) {
    const isBackend = socket.local.port === backend;
    const isProxy =
      socket.local.port === listen || (socket.peer.port === backend && socket.local.address !== '127.0.0.1');
    if (isBackend || isProxy) all += socket.memory;
    if (isProxy) proxy += socket.memory;
  }
  return {
    conns: loadgen.conns,
    held_per_flow: loadgen.held_per_flow,
    capped: loadgen.capped,
    socket_memory_per_flow: Math.round(all / loadgen.conns),
    proxy_socket_memory_per_flow: Math.round(proxy / loadgen.conns),
  };
}

function readContender(dir: string, contender: string, machine: Machine): ContenderResults {
  const plain = <T>(base: string): T => readJson<T>(`${base}.json`);
  return {
    rss: outcome(dir, contender, 'rss', machine, plain<FreshRss>),
    pingpong: outcome(dir, contender, 'pingpong', machine, plain<Pingpong>),
    bulk: outcome(dir, contender, 'bulk', machine, plain<Bulk>),
    connrate: outcome(dir, contender, 'connrate', machine, plain<Connrate>),
    stall: outcome(dir, contender, 'stall', machine, readStall),
    idle:
      contender === 'direct'
        ? { ok: false, why: 'not applicable', reason: 'no proxy to weigh' }
        : outcome(dir, contender, 'idle', machine, readIdle),
  };
}

function value<T>(o: Outcome<T> | undefined): T | null {
  return o?.ok ? o.value : null;
}

const number = (n: number, digits = 0): string =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

const ratio = (mine: number | undefined, base: number | undefined): number | null =>
  mine === undefined || base === undefined || base === 0 ? null : mine / base;

/** A rule comparing mine / base with `goal`, at least ('min') or at most ('max'). */
function ratioRule(
  mine: number | undefined,
  base: number | undefined,
  goal: number,
  direction: 'min' | 'max',
): { shown: string; met: boolean } | null {
  const r = ratio(mine, base);
  if (r === null) return null;
  return { shown: `${number(r, 2)}×`, met: direction === 'min' ? r >= goal : r <= goal };
}

/** The mmproxy contenders of this run, in run order. */
const mmproxies = (contenders: string[]): string[] => contenders.filter((c) => c.startsWith('mmproxy'));

/** Fresh RSS at most this many MiB (issue 20), and within this much of bare Node. */
const RSS_LIMIT_MIB = 45;
const RSS_OVER_NODE_MIB = 5;

function targets(r: Results, contenders: string[]): Target[] {
  const direct = r.direct;
  const go = r['go-mmproxy'];
  const splice = value(r['mmproxy-splice']?.stall);
  const node = value(direct?.rss)?.rss_kb;
  const each = (
    name: string,
    rule: string,
    measure: (mine: ContenderResults) => { shown: string; met: boolean } | null,
  ): Target => ({
    name,
    rule,
    by: Object.fromEntries(mmproxies(contenders).map((c) => [c, r[c] ? measure(r[c]) : null])),
  });
  return [
    each('small messages/s', '≥ 0.8 × direct', (m) =>
      ratioRule(value(m.pingpong)?.messages_per_s, value(direct?.pingpong)?.messages_per_s, 0.8, 'min'),
    ),
    each('new connections/s', '≥ 0.6 × direct', (m) =>
      ratioRule(value(m.connrate)?.conns_per_s, value(direct?.connrate)?.conns_per_s, 0.6, 'min'),
    ),
    each('new connections: p99', '≤ 2 × direct', (m) =>
      ratioRule(value(m.connrate)?.p99_us, value(direct?.connrate)?.p99_us, 2, 'max'),
    ),
    each('bulk throughput', '≥ 0.75 × direct', (m) =>
      ratioRule(value(m.bulk)?.gbit_per_s, value(direct?.bulk)?.gbit_per_s, 0.75, 'min'),
    ),
    each('fresh RSS', `≤ ${RSS_LIMIT_MIB} MiB`, (m) => {
      const kb = value(m.rss)?.rss_kb;
      return kb === undefined ? null : { shown: `${number(kb / 1024, 1)} MiB`, met: kb / 1024 <= RSS_LIMIT_MIB };
    }),
    each('fresh RSS over bare Node', `≤ ${RSS_OVER_NODE_MIB} MiB`, (m) => {
      const kb = value(m.rss)?.rss_kb;
      if (kb === undefined || node === undefined) return null;
      const over = (kb - node) / 1024;
      return { shown: `${number(over, 1)} MiB`, met: over <= RSS_OVER_NODE_MIB };
    }),
    each('stalled reader: bytes held per flow', '≤ 1 × mmproxy-splice', (m) => {
      const mine = value(m.stall);
      if (!mine || !splice) return null;
      const rule = ratioRule(mine.held_per_flow, splice.held_per_flow, 1, 'max');
      return rule && mine.capped > 0 ? { shown: `≥ ${rule.shown}`, met: false } : rule;
    }),
    each('small messages/s (issue 3)', '≥ 1.2 × go-mmproxy', (m) =>
      ratioRule(value(m.pingpong)?.messages_per_s, value(go?.pingpong)?.messages_per_s, 1.2, 'min'),
    ),
    each('new connections/s (issue 3)', '≥ 1.5 × go-mmproxy', (m) =>
      ratioRule(value(m.connrate)?.conns_per_s, value(go?.connrate)?.conns_per_s, 1.5, 'min'),
    ),
    each('memory per idle connection (issue 3)', '≤ 0.5 × go-mmproxy', (m) =>
      ratioRule(value(m.idle)?.bytes_per_conn, value(go?.idle)?.bytes_per_conn, 0.5, 'max'),
    ),
  ];
}

/** The load generator's histogram tops out at 1 s (HIST_MAX_US in c/bench.h). */
const HIST_MAX_US = 1_000_000;
const micros = (us: number): string => (us >= HIST_MAX_US ? `≥ ${number(HIST_MAX_US)}` : number(us));
const kib = (bytes: number): string => number(bytes / 1024);

function format<T>(o: Outcome<T>, show: (v: T) => string): Outcome<string> {
  return o.ok ? { ok: true, value: show(o.value) } : o;
}

/** One table row: a label and how one contender's results fill its cell. */
interface Row {
  label: string;
  cell: (c: ContenderResults, name: string) => Outcome<string>;
}

function rows(machine: Machine): Row[] {
  const rss = (kb: number): string => number(kb / 1024, 1);
  return [
    {
      label: 'fresh process RSS (MiB; direct: bare Node)',
      cell: (c) => format(c.rss, (v) => rss(v.rss_kb)),
    },
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
      label: 'new connections: p50 / p99 connect → echo (µs)',
      cell: (c) => format(c.connrate, (v) => `${micros(v.p50_us)} / ${micros(v.p99_us)}`),
    },
    {
      label: 'new connections failed: connect / early close / timeout / wrong echo',
      cell: (c) =>
        format(c.connrate, (v) => `${v.connect_errors} / ${v.closed_early} / ${v.timeouts} / ${v.corrupted}`),
    },
    {
      label: 'stalled reader: bytes held per flow, sent and not read (KiB)',
      cell: (c) => format(c.stall, (v) => `${v.capped > 0 ? '≥ ' : ''}${kib(v.held_per_flow)}`),
    },
    {
      label: 'stalled reader: socket memory per flow, backend + proxy / proxy (KiB)',
      cell: (c, name) =>
        format(
          c.stall,
          (v) => `${kib(v.socket_memory_per_flow)} / ${name === 'direct' ? '—' : kib(v.proxy_socket_memory_per_flow)}`,
        ),
    },
    {
      label: `memory per idle connection (bytes, ${number(machine.idle_conns)} open)`,
      cell: (c) => format(c.idle, (v) => number(v.bytes_per_conn)),
    },
    {
      label: 'proxy RSS before → after idle connections (MiB)',
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

function render(machine: Machine, contenders: string[], results: Results, goals: Target[]): string {
  const notes: string[] = [];
  const cell = (o: Outcome<string>): string => {
    if (o.ok) return o.value;
    if (o.why === 'not applicable') return '—';
    if (o.why === 'not run') return 'not run';
    if (!notes.includes(o.reason)) notes.push(o.reason);
    return `${o.why} [${notes.indexOf(o.reason) + 1}]`;
  };
  const shown = rows(machine).filter((r) => contenders.some((c) => results[c] && r.cell(results[c], c).ok));
  const body = shown.map((r) => [
    r.label,
    ...contenders.map((c) => (results[c] ? cell(r.cell(results[c], c)) : 'not run')),
  ]);
  const proxies = mmproxies(contenders);
  const goalBody = goals
    .filter((g) => proxies.some((c) => g.by[c]))
    .map((g) => [
      g.name,
      g.rule,
      ...proxies.map((c) => {
        const result = g.by[c];
        return result ? `${result.shown} ${result.met ? 'met' : 'not met'}` : '—';
      }),
    ]);
  const rps =
    machine.rps === 'off'
      ? 'loopback receive work where the kernel puts it (BENCH_RPS=off)'
      : `loopback receive work steered onto CPU ${machine.server_cpu} (RPS, inside the namespace)`;
  return [
    `Measured ${machine.date} on ${machine.nproc} × ${machine.cpu_model}, Linux ${machine.kernel}, ` +
      `Node ${machine.node}, go-mmproxy ${machine.go_mmproxy}, mmproxy ${machine.mmproxy_revision} ` +
      `(\`${machine.mmproxy_command}\`).`,
    `Load generator pinned to CPU ${machine.client_cpu}; backend and proxy share CPU ${machine.server_cpu} ` +
      `(taskset), so direct and proxied runs get the same two cores; ${rps}. -listeners ${machine.listeners} for ` +
      `both proxies; ${machine.seconds} s per timed workload; ` +
      (machine.rounds > 1 ? `median of ${machine.rounds} interleaved rounds; ` : 'one round; ') +
      'PROXY v2 headers; one network namespace, loopback only; ' +
      `open-file limit ${machine.fd_limit}. Load average (1/5/15 min) at start ${machine.load_at_start}, ` +
      `at end ${machine.load_at_end ?? '?'}.`,
    '',
    markdownTable(['workload', ...contenders], body),
    '',
    markdownTable(['target', 'rule', ...proxies], goalBody),
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
  const contenders = machine.contenders ?? DEFAULT_CONTENDERS;
  const results: Results = Object.fromEntries(contenders.map((c) => [c, readContender(dir, c, machine)]));
  const goals = targets(results, contenders);
  const resultsPath = join(dir, 'results.json');
  writeFileSync(resultsPath, `${JSON.stringify({ machine, results, targets: goals }, null, 2)}\n`);
  copyFileSync(resultsPath, join(dirname(dir), 'latest.json'));
  const table = render(machine, contenders, results, goals);
  writeFileSync(join(dir, 'table.md'), `${table}\n`);
  process.stdout.write(`${table}\n\nResults: ${resultsPath}\n`);
}

main(process.argv[2]);
