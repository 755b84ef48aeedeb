/**
 * Running a config file and reloading it, in-process on loopback: real data planes (the addon's) made through
 * the factory seam, which records what the control plane asked of each. No packet is sent: what a client
 * sees is the namespace test's (test/netns/proxy/config-file.test.ts).
 */
import { deepStrictEqual, match, ok, strictEqual } from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { DataPlaneEvent } from '../../../src/base/flows.js';
import { formatEndpoint } from '../../../src/base/net/endpoint.js';
import { loadRunnableConfig } from '../../../src/config/runnable-config.js';
import type { DataPlane, DataPlaneConfig, DataPlaneOptions, WorkerPool } from '../../../src/native/dataplane-types.js';
import { ConfigReloader } from '../../../src/proxy/config-reload.js';
import { createDataPlane } from '../../../src/proxy/dataplane.js';
import { drain } from '../../../src/proxy/drain.js';
import { ListenerSet } from '../../../src/proxy/listener-set.js';
import { createEventLog } from '../../../src/proxy/log/event-log.js';
import { createLogger } from '../../../src/proxy/log/logger.js';
import { LineRateLimiter } from '../../../src/proxy/log/rate-limit.js';
import { EXIT_START_FAILED, EXIT_STOPPED } from '../../../src/proxy/run.js';
import { runConfig } from '../../../src/proxy/run-config.js';

interface Line {
  level: string;
  kind: string;
  msg: string;
  [field: string]: unknown;
}

interface Made {
  config: DataPlaneConfig;
  options: DataPlaneOptions | undefined;
  plane: DataPlane;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Consecutive ports free on 127.0.0.1 (TCP), found by binding them; bounded tries. */
async function freePorts(count: number): Promise<number> {
  const listen = (port: number): Promise<Server | null> =>
    new Promise((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(null));
      server.listen(port, '127.0.0.1', () => resolve(server));
    });
  for (let attempt = 0; attempt < 20; attempt++) {
    const base = 20000 + Math.floor(Math.random() * 30000);
    const servers = await Promise.all(Array.from({ length: count }, (_, i) => listen(base + i)));
    const open = servers.filter((server): server is Server => server !== null);
    await Promise.all(open.map((server) => new Promise((resolve) => server.close(resolve))));
    if (servers.every((server) => server !== null)) return base;
  }
  throw new Error(`no ${count} consecutive free ports on 127.0.0.1 in 20 tries`);
}

function harness(pool: WorkerPool | null = null) {
  const lines: Line[] = [];
  const calls: string[] = [];
  const made: Made[] = [];
  const logger = createLogger({ format: 'json', write: (line) => lines.push(JSON.parse(line) as Line), now: Date.now });
  const eventLog = createEventLog({ logger, verbosity: 0, limiter: new LineRateLimiter(100, 1000), now: Date.now });
  /** The addon's plane (today's takes no options: they are recorded, not passed), each call written down. */
  const create = (
    config: DataPlaneConfig,
    onEvents: (events: DataPlaneEvent[]) => void,
    options?: DataPlaneOptions,
  ): DataPlane => {
    const real = createDataPlane(config, onEvents);
    const name = `${config.protocol}:${config.listen.port}#${made.length}`;
    const plane: DataPlane = {
      start: () => (calls.push(`start ${name}`), real.start()),
      stopAccepting: () => (calls.push(`stopAccepting ${name}`), real.stopAccepting()),
      setAllowedSubnets: (subnets) => (
        calls.push(`setAllowedSubnets ${name} ${subnets.join(',')}`),
        real.setAllowedSubnets(subnets)
      ),
      counters: () => real.counters(),
      flows: () => real.flows(),
      close: () => (calls.push(`close ${name}`), real.close()),
    };
    made.push({ config, options, plane });
    return plane;
  };
  const set = new ListenerSet({
    create,
    pool,
    onEvents: (name) => (events) => eventLog.handle(events, { listener: name }),
    onGone: (name, counters) =>
      logger.log('info', 'listener_gone', `listener ${name} gone`, { listener: name, accepted: counters.accepted }),
  });
  return { lines, calls, made, logger, eventLog, set, create };
}

describe('a config file run and reloaded (real data planes on loopback)', function () {
  this.timeout(20_000);
  let dir: string;
  let file: string;
  let base: number;

  const write = (text: string): Promise<void> => writeFile(file, text);
  const listener = (name: string, listen: string, extra = ''): string =>
    `[[listener]]\nname = "${name}"\nlisten = "127.0.0.1:${listen}"\ntarget4 = "127.0.0.1:9"\ntarget6 = "none"\n${extra}\n`;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mmproxy-reload-'));
    file = join(dir, 'mmproxy.toml');
    base = await freePorts(8);
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function startSet(h: ReturnType<typeof harness>) {
    const loaded = await loadRunnableConfig(file);
    for (const named of loaded.config.listeners) {
      h.set.start(named, loaded.subnets.get(named.name) ?? [], loaded.config.process);
    }
    let process = loaded.config.process;
    const reloader = new ConfigReloader({
      file,
      load: loadRunnableConfig,
      set: h.set,
      logger: h.logger,
      process: () => process,
      applyProcess: (next) => (process = next),
    });
    return { reloader, process: () => process };
  }

  it('adds, removes and changes listeners by name and leaves the others alone; one reload line says so', async () => {
    const h = harness();
    await write(
      'workers = 1\n' +
        listener('keep', `${base}`) +
        listener('range', `${base + 1}-${base + 2}`) +
        listener('gone', `${base + 3}`) +
        listener('dns', `${base + 4}`, 'protocol = "udp"'),
    );
    const { reloader } = await startSet(h);
    strictEqual(h.made.length, 5, 'one plane per port');
    const before = h.calls.length;
    await write(
      'workers = 1\n' +
        listener('keep', `${base}`) +
        listener('range', `${base + 2}-${base + 3}`) +
        listener('dns', `${base + 4}`, 'protocol = "udp"\nclose-after = "30"') +
        listener('fresh', `${base + 5}`),
    );
    reloader.request();
    await reloader.settled();
    const reload = h.lines.filter((line) => line.kind === 'reload');
    deepStrictEqual(
      reload.map((line) => [line.level, line.msg]),
      [['info', `SIGHUP: ${file}: 4 listeners: added fresh; removed gone; changed range, dns; 1 unchanged`]],
    );
    deepStrictEqual(
      h.set.serving().map((named) => named.name),
      ['keep', 'range', 'dns', 'fresh'],
    );
    deepStrictEqual(
      h.lines.filter((line) => line.kind === 'listening').map((line) => line['listener']),
      ['range', 'dns', 'fresh'],
      'each listener the reload started says where it listens',
    );
    const calls = h.calls.slice(before);
    // keep: untouched. range: without a pool the old planes stop accepting before the new ones bind.
    ok(!calls.some((call) => call.includes(`:${base}#`)), `keep untouched: ${calls.join('; ')}`);
    ok(calls.indexOf(`stopAccepting tcp:${base + 2}#2`) < calls.indexOf(`start tcp:${base + 2}#5`), calls.join('; '));
    // The removed listener drained (no flow open) and is gone, named.
    ok(calls.includes(`close tcp:${base + 3}#3`));
    ok(h.lines.some((line) => line.kind === 'listener_gone' && line['listener'] === 'gone'));
    // A changed UDP listener's old plane is closed at once.
    ok(calls.includes(`close udp:${base + 4}#4`));
    deepStrictEqual(
      h.made.slice(5).map((made) => `${made.config.protocol} ${formatEndpoint(made.config.listen)}`),
      [
        `tcp 127.0.0.1:${base + 2}`,
        `tcp 127.0.0.1:${base + 3}`,
        `udp 127.0.0.1:${base + 4}`,
        `tcp 127.0.0.1:${base + 5}`,
      ],
    );
    h.set.closeAll();
  });

  it('a file with a mistake changes nothing: reload_failed lists every mistake', async () => {
    const h = harness();
    await write(listener('a', `${base}`));
    const { reloader } = await startSet(h);
    const before = h.calls.length;
    await write(listener('a', `${base}`, 'conect-timeout = "1s"') + listener('b', `${base + 1}`, 'mark = "x"'));
    reloader.request();
    await reloader.settled();
    deepStrictEqual(h.calls.slice(before), [], 'no plane made, stopped or closed');
    strictEqual(h.made.length, 1);
    const failed = h.lines.filter((line) => line.kind === 'reload_failed');
    strictEqual(failed.length, 1);
    strictEqual(failed[0]!.level, 'error');
    match(
      failed[0]!.msg,
      /2 mistakes, nothing changed: .*mmproxy\.toml:\d+:\d+: listener "a": conect-timeout: .*did you mean "connect-timeout"\?; .*mark/,
    );
    h.set.closeAll();
  });

  it('a new listener that cannot bind fails alone; the next reload starts it once the port is free', async () => {
    const h = harness();
    await write(listener('a', `${base}`));
    const { reloader } = await startSet(h);
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(base + 1, '127.0.0.1', resolve));
    try {
      await write(listener('a', `${base}`, 'header-timeout = "2s"') + listener('b', `${base + 1}`));
      reloader.request();
      await reloader.settled();
      const failed = h.lines.find((line) => line.kind === 'start_failed');
      strictEqual(failed?.['listener'], 'b');
      match(failed.msg, new RegExp(`listener "b" on tcp 127\\.0\\.0\\.1:${base + 1}: .*(EADDRINUSE|in use)`));
      const reload = h.lines.find((line) => line.kind === 'reload');
      strictEqual(reload?.level, 'warn');
      strictEqual(
        reload?.msg,
        `SIGHUP: ${file}: 2 listeners: added b; changed a; 0 unchanged; not running: b (start_failed says why)`,
      );
      deepStrictEqual(
        h.set.serving().map((named) => named.name),
        ['a'],
      );
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
    reloader.request();
    await reloader.settled();
    strictEqual(
      h.lines.filter((line) => line.kind === 'reload').at(-1)?.msg,
      `SIGHUP: ${file}: 2 listeners: added b; 1 unchanged`,
    );
    h.set.closeAll();
  });

  it("an unchanged listener gets its subnet file's new content; process settings apply or wait for a restart", async () => {
    const h = harness();
    const subnets = join(dir, 'lbs.txt');
    await writeFile(subnets, '198.51.100.0/24\n');
    await write(`workers = 1\nverbose = 0\n` + listener('a', `${base}`, `allowed-subnets = "${subnets}"`));
    const { reloader, process } = await startSet(h);
    await writeFile(subnets, '198.51.100.0/24\n203.0.113.0/24\n');
    await write(`workers = 3\nverbose = 1\n` + listener('a', `${base}`, `allowed-subnets = "${subnets}"`));
    reloader.request();
    await reloader.settled();
    ok(h.calls.includes(`setAllowedSubnets tcp:${base}#0 198.51.100.0/24,203.0.113.0/24`), h.calls.join('; '));
    deepStrictEqual(
      h.lines.filter((line) => line.kind === 'reload').map((line) => line.msg),
      [
        'SIGHUP: workers changed from 1 to 3: that needs a restart; still 1',
        `SIGHUP: ${file}: 1 listener: 1 unchanged (1 with new allowed subnets)`,
      ],
    );
    strictEqual(process().verbosity, 1);
    strictEqual(process().listeners, 1);
    h.set.closeAll();
  });

  it('a removed listener with an open flow is shown draining; a shutdown then drains it with the rest', async () => {
    const h = harness();
    await write(`[defaults]\nheader-timeout = "10s"\n` + listener('a', `${base}`) + listener('b', `${base + 1}`));
    const { reloader } = await startSet(h);
    // Half a PROXY header: the flow stays open, waiting for the rest.
    const socket = connect(base, '127.0.0.1');
    socket.on('error', () => undefined);
    socket.write('PROXY TCP4 ');
    try {
      const a = () => h.set.listenerStats().find((stats) => stats.name === 'a');
      for (let turn = 0; turn < 300 && a()?.counters().active !== 1; turn++) await sleep(10);
      strictEqual(a()?.counters().active, 1, 'the flow is open');
      await write(`[defaults]\nheader-timeout = "10s"\n` + listener('b', `${base + 1}`));
      reloader.request();
      await reloader.settled();
      deepStrictEqual(
        h.set.listenerStats().map((stats) => [stats.name, stats.state]),
        [
          ['a', 'draining'],
          ['b', 'serving'],
        ],
      );
      strictEqual(h.lines.filter((line) => line.kind === 'listener_gone').length, 0, 'not gone while a flow is open');
      const cut = await drain(h.set.open(), 50, h.logger, () => false);
      strictEqual(cut, 1, "the shutdown's drain saw the removed listener's flow");
      strictEqual(h.set.lifetimeCounters().accepted, 1);
    } finally {
      h.set.closeAll();
      socket.destroy();
    }
    strictEqual(h.set.lifetimeCounters().active, 0);
    strictEqual(h.set.lifetimeCounters().accepted, 1, 'a closed plane still counts');
  });

  it('with a worker pool, a changed listener takes over the sockets of the ports it keeps, then the old planes stop', async () => {
    let closed = false;
    const pool: WorkerPool = { size: 1, close: () => (closed = true) };
    const h = harness(pool);
    // reuse-port: today's addon binds for real beside the old socket, where the pool's would take it over.
    await write(`[defaults]\nreuse-port = true\n` + listener('a', `${base}-${base + 1}`));
    const { reloader } = await startSet(h);
    await write(`[defaults]\nreuse-port = true\n` + listener('a', `${base + 1}-${base + 2}`));
    reloader.request();
    await reloader.settled();
    const [old0, old1, new1, new2] = h.made;
    strictEqual(new1!.options?.pool, pool);
    strictEqual(new1!.options?.adoptListenersFrom, old1!.plane, `port ${base + 1} taken over`);
    strictEqual(new2!.options?.adoptListenersFrom, undefined, `port ${base + 2} bound afresh`);
    strictEqual(old0!.options?.adoptListenersFrom, undefined);
    const calls = h.calls;
    ok(calls.indexOf(`start tcp:${base + 2}#3`) < calls.indexOf(`stopAccepting tcp:${base + 1}#1`), calls.join('; '));
    h.set.closeAll();
    strictEqual(closed, false, 'the pool is its owner’s to close');
  });
});

describe('runConfig (the whole life of a config file, in-process)', function () {
  this.timeout(20_000);
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mmproxy-run-config-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const fileWith = async (text: string): Promise<string> => {
    const file = join(dir, 'mmproxy.toml');
    await writeFile(file, `stats-socket = "${join(dir, 'stats.sock')}"\ndrain-timeout = "1s"\nworkers = 1\n${text}`);
    return file;
  };

  it('starts every listener (one line each, then the summary), is ready naming each, and stops on SIGTERM', async () => {
    const base = await freePorts(3);
    const h = harness();
    const file = await fileWith(
      `metrics-listen = "127.0.0.1:0"\n` +
        `[[listener]]\nname = "web"\nlisten = "127.0.0.1:${base}-${base + 1}"\ntarget4 = "127.0.0.1:9"\n` +
        `[[listener]]\nname = "dns"\nprotocol = "udp"\nlisten = "127.0.0.1:${base + 2}"\ntarget4 = "127.0.0.1:9"\n`,
    );
    const signals = new EventEmitter();
    const running = runConfig(await loadRunnableConfig(file), {
      createDataPlane: h.create,
      logger: h.logger,
      eventLog: h.eventLog,
      signals,
      loadConfig: loadRunnableConfig,
    });
    for (let turn = 0; turn < 200 && !h.lines.some((line) => line.msg.includes('listeners (')); turn++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const metrics = String(h.lines.find((line) => line.msg.includes('listeners ('))?.['metrics']);
    const ready = await fetch(metrics.replace(/\/metrics$/, '/readyz'));
    strictEqual(ready.status, 200);
    match(await ready.text(), /serving 2 listeners \(web, dns\)/);
    signals.emit('SIGTERM', 'SIGTERM');
    strictEqual(await running, EXIT_STOPPED);
    const listening = h.lines.filter((line) => line.kind === 'listening');
    deepStrictEqual(
      listening.map((line) => line['listener'] ?? null),
      ['web', 'dns', null],
    );
    match(listening[0]!.msg, new RegExp(`^listening on 127\\.0\\.0\\.1:${base}-${base + 1} \\(tcp`));
    strictEqual(listening[2]!.msg, `2 listeners (1 tcp, 1 udp) on 3 ports from ${file}`);
    ok(
      h.made.every((made) =>
        h.calls.includes(`close ${made.config.protocol}:${made.config.listen.port}#${h.made.indexOf(made)}`),
      ),
    );
    strictEqual(h.lines.at(-1)?.kind, 'stopped');
  });

  it('one listener that cannot bind: nothing runs, start_failed names it and its port, exit 1', async () => {
    const base = await freePorts(3);
    const h = harness();
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(base + 2, '127.0.0.1', resolve));
    try {
      const file = await fileWith(
        `[[listener]]\nname = "first"\nlisten = "127.0.0.1:${base}-${base + 1}"\n` +
          `[[listener]]\nname = "second"\nlisten = "127.0.0.1:${base + 2}"\n`,
      );
      const code = await runConfig(await loadRunnableConfig(file), {
        createDataPlane: h.create,
        logger: h.logger,
        eventLog: h.eventLog,
        signals: new EventEmitter(),
        loadConfig: loadRunnableConfig,
      });
      strictEqual(code, EXIT_START_FAILED);
      const failed = h.lines.filter((line) => line.kind === 'start_failed');
      strictEqual(failed.length, 1);
      strictEqual(failed[0]!['listener'], 'second');
      match(failed[0]!.msg, new RegExp(`listener "second" on tcp 127\\.0\\.0\\.1:${base + 2}: `));
      deepStrictEqual(h.calls.filter((call) => call.startsWith('close')).sort(), [
        `close tcp:${base}#0`,
        `close tcp:${base + 1}#1`,
        `close tcp:${base + 2}#2`,
      ]);
      ok(!h.lines.some((line) => line.kind === 'listening'));
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });
});
