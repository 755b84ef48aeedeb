/**
 * `npm run demo`: a lab in network namespaces that shows mmproxy working,
 * breaks it the way it breaks in the field, and lets the doctor find and fix it.
 *
 *   --interactive   open `mmproxy top` on the live proxy (q to go on)
 *   --keep          leave the lab up at the end until Ctrl-C, with the commands to enter each host
 *   --summary FILE  write the demo's conclusions as JSON (used by its test)
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

import { netnsUnavailableReason } from '../../lab/index.js';
import { runDemo } from './run-demo.js';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      interactive: { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      summary: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write('usage: npm run demo -- [--interactive] [--keep] [--summary FILE]\n');
    return 0;
  }
  const unavailable = netnsUnavailableReason();
  if (unavailable) {
    process.stderr.write(
      `demo: ${unavailable}\nThe lab uses network namespaces: run it as root, e.g. sudo npm run demo\n`,
    );
    return 2;
  }
  const summary = await runDemo({ interactive: values.interactive, keep: values.keep });
  if (values.summary) writeFileSync(values.summary, `${JSON.stringify(summary, null, 2)}\n`);
  return summary.ok ? 0 : 1;
}

process.exitCode = await main();
