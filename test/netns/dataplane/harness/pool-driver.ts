/**
 * Runs one WorkerPool and many DataPlanes on it inside a network namespace
 * for the tests (the mocha process stays in the root namespace):
 *   ip netns exec NS node pool-driver.js --control /tmp/x.sock --threads N
 * Prints one JSON object per line on stdout: {type: 'started' | 'events',
 * plane?, ...}. Answers JSON commands on the Unix control socket, one per
 * line, replying {value} or {error}: {command: 'add', argument: {name, config,
 * adopt?}} makes and starts a plane on the pool (adopting the listeners of the
 * plane named `adopt`); 'counters' | 'flows' | 'stopAccepting' | 'close' with
 * a plane's name; 'closePool' closes the pool (and every plane still open)
 * and replies with the descriptor counts before the pool and after.
 */
import { readdirSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { createInterface } from 'node:readline';

import { native } from '../../../../src/native/addon.js';
import type { DataPlane, DataPlaneConfig, WorkerPool } from '../../../../src/native/dataplane-types.js';
import { countOption, option } from '../../../../lab/services/args.js';

export type PoolCommand =
  | { command: 'add'; argument: { name: string; config: DataPlaneConfig; adopt?: string } }
  | { command: 'counters' | 'flows' | 'stopAccepting' | 'close'; argument: string }
  | { command: 'closePool' };

function print(message: object): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

const argv = process.argv.slice(2);
const controlPath = option(argv, 'control') ?? '';
const WorkerPoolClass = native().WorkerPool;
if (!WorkerPoolClass) throw new Error('the addon exports no WorkerPool');
const threads = countOption(argv, 'threads', 2);
let pool: WorkerPool;
const planes = new Map<string, DataPlane>();
const connections = new Set<Socket>();
let fdsBefore = 0;

function planeNamed(name: string): DataPlane {
  const plane = planes.get(name);
  if (!plane) throw new Error(`no plane named ${name}`);
  return plane;
}

function run(request: PoolCommand): unknown {
  switch (request.command) {
    case 'add': {
      const { name, config, adopt } = request.argument;
      const options = adopt === undefined ? { pool } : { pool, adoptListenersFrom: planeNamed(adopt) };
      const plane = new (native().DataPlane)(
        config,
        (events) => print({ type: 'events', plane: name, events }),
        options,
      );
      plane.start();
      planes.set(name, plane);
      return null;
    }
    case 'counters':
      return planeNamed(request.argument).counters();
    case 'flows':
      return planeNamed(request.argument).flows();
    case 'stopAccepting':
      return planeNamed(request.argument).stopAccepting();
    case 'close':
      return planeNamed(request.argument).close();
    case 'closePool':
      pool.close();
      // The control connections were opened after fdsBefore was counted.
      return { fdsBefore, fdsAfter: openFds() - connections.size };
  }
}

function serve(connection: Socket): void {
  connections.add(connection);
  connection.on('close', () => connections.delete(connection));
  createInterface({ input: connection }).on('line', (line) => {
    let reply: object;
    try {
      reply = { value: run(JSON.parse(line) as PoolCommand) ?? null };
    } catch (error) {
      reply = { error: { message: error instanceof Error ? error.message : String(error) } };
    }
    connection.write(`${JSON.stringify(reply)}\n`);
  });
  connection.on('error', () => connection.destroy());
}

rmSync(controlPath, { force: true });
const control = createServer(serve);
control.listen(controlPath, () => {
  // Counted before the pool opens its descriptors: what remains after
  // closePool must be exactly this.
  fdsBefore = openFds();
  pool = new WorkerPoolClass(threads);
  print({ type: 'started', pid: process.pid });
});
process.on('SIGTERM', () => {
  pool.close();
  control.close();
  rmSync(controlPath, { force: true });
  process.exit(0);
});
