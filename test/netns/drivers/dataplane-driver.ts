/**
 * Runs one DataPlane inside a network namespace for the tests:
 *   ip netns exec NS node dist/test/netns/drivers/dataplane-driver.js '<DataPlaneConfig JSON>'
 * Prints one JSON object per line on stdout ({type: 'started' | 'events' |
 * 'reply' | 'error' | 'closed', ...}) and answers one command per stdin line:
 * counters, flows, fds, stopAccepting, setAllowedSubnets <json array>, close.
 */
import { readdirSync } from 'node:fs';
import { createInterface } from 'node:readline';

import { createDataPlane } from '../../../src/proxy/dataplane.js';
import type { DataPlane, DataPlaneConfig } from '../../../src/native/dataplane-types.js';

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

function run(plane: DataPlane, command: string, argument: string): unknown {
  switch (command) {
    case 'counters':
      return plane.counters();
    case 'flows':
      return plane.flows();
    case 'fds':
      return openFds();
    case 'stopAccepting':
      return plane.stopAccepting();
    case 'setAllowedSubnets':
      return plane.setAllowedSubnets(JSON.parse(argument) as string[]);
    case 'close':
      return plane.close();
    default:
      throw new Error(`unknown command ${command}`);
  }
}

function main(): void {
  const config = JSON.parse(process.argv[2] ?? '{}') as DataPlaneConfig;
  const fdsBefore = openFds();
  let plane: DataPlane;
  try {
    plane = createDataPlane(config, (events) => print({ type: 'events', events }));
    plane.start();
  } catch (error) {
    print({ type: 'error', error: describe(error) });
    process.exitCode = 1;
    return;
  }
  print({ type: 'started', pid: process.pid, fdsBefore });
  const input = createInterface({ input: process.stdin });
  input.on('line', (line) => {
    const space = line.indexOf(' ');
    const command = space < 0 ? line : line.slice(0, space);
    const argument = space < 0 ? '' : line.slice(space + 1);
    try {
      print({ type: 'reply', command, value: run(plane, command, argument) ?? null });
    } catch (error) {
      print({ type: 'reply', command, error: describe(error) });
    }
    if (command === 'close') {
      input.close();
      // The final events arrive on the next turns of the loop; then nothing
      // is left to keep the process alive.
      setImmediate(() => print({ type: 'closed', fdsAfter: openFds(), fdsBefore }));
    }
  });
  input.on('close', () => plane.close());
}

main();
