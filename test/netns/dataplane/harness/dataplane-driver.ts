/**
 * Runs one DataPlane inside a network namespace for the tests (the mocha
 * process itself stays in the root namespace):
 *   ip netns exec NS node dataplane-driver.js --control /tmp/x.sock '<DataPlaneConfig JSON>'
 * Prints one JSON object per line on stdout: {type: 'started' | 'events' |
 * 'error', ...}. Answers JSON commands on the Unix control socket, one per
 * line: {command: 'counters' | 'flows' | 'fds' | 'fastPath' | 'stopAccepting' |
 * 'setAllowedSubnets' | 'close', argument?}, replying {value} or {error}.
 * After 'close' the reply carries the descriptor counts before and after.
 */
import { readdirSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { createInterface } from 'node:readline';

import { native } from '../../../../src/native/addon.js';
import { createDataPlane } from '../../../../src/proxy/dataplane.js';
import type { DataPlane, DataPlaneConfig } from '../../../../src/native/dataplane-types.js';
import { option } from '../../../../lab/services/args.js';

export interface DriverCommand {
  command: 'counters' | 'flows' | 'fds' | 'fastPath' | 'stopAccepting' | 'setAllowedSubnets' | 'close';
  argument?: unknown;
}

function print(message: object): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

function describe(error: unknown): object {
  const { code, syscall, message } = error as { code?: string; syscall?: string; message?: string };
  return { code, syscall, message: message ?? String(error) };
}

const argv = process.argv.slice(2);
const controlPath = option(argv, 'control') ?? '';
const config = JSON.parse(argv[argv.length - 1] ?? '{}') as DataPlaneConfig;
const control = createServer();
const connections = new Set<Socket>();
let fdsBefore = 0;

function run(plane: DataPlane, { command, argument }: DriverCommand): unknown {
  switch (command) {
    case 'counters':
      return plane.counters();
    case 'flows':
      return plane.flows();
    case 'fds':
      return openFds();
    case 'fastPath':
      return native().fastPathStatus?.() ?? null;
    case 'stopAccepting':
      return plane.stopAccepting();
    case 'setAllowedSubnets':
      return plane.setAllowedSubnets(argument as string[]);
    case 'close':
      plane.close();
      // The control connections were opened after fdsBefore was counted.
      return { fdsBefore, fdsAfter: openFds() - connections.size };
    default:
      throw new Error(`unknown command ${String(command)}`);
  }
}

function serve(plane: DataPlane, connection: Socket): void {
  connections.add(connection);
  connection.on('close', () => connections.delete(connection));
  createInterface({ input: connection }).on('line', (line) => {
    let reply: object;
    try {
      reply = { value: run(plane, JSON.parse(line) as DriverCommand) ?? null };
    } catch (error) {
      reply = { error: describe(error) };
    }
    connection.write(`${JSON.stringify(reply)}\n`);
  });
  connection.on('error', () => connection.destroy());
}

function main(): void {
  rmSync(controlPath, { force: true });
  control.listen(controlPath, () => {
    // Counted once the control socket is open: what remains after close()
    // must be exactly this.
    fdsBefore = openFds();
    let plane: DataPlane;
    try {
      plane = createDataPlane(config, (events) => print({ type: 'events', events }));
      plane.start();
    } catch (error) {
      print({ type: 'error', error: describe(error) });
      process.exit(1);
    }
    control.on('connection', (connection) => serve(plane, connection));
    print({ type: 'started', pid: process.pid });
    process.on('SIGTERM', () => {
      plane.close();
      control.close();
      rmSync(controlPath, { force: true });
      process.exit(0);
    });
  });
}

main();
