/**
 * Records what the doctor reads in each scenario (`doctor --record`), as the
 * fixtures of the unit tests: real `ip -j` JSON, /proc values, probe results
 * and captures from a real kernel. Run as root after a build:
 *   node dist/test/netns/doctor/helpers/record-fixtures.js [scenario...]
 */
import { join } from 'node:path';

import { Lab } from '../../../../lab/index.js';
import { SCENARIOS } from '../../../unit/doctor/scenario-expectations.js';
import { REPO_ROOT, runDoctor } from './run-doctor.js';
import { buildTopology, SETUPS } from './scenarios.js';

const FIXTURE_DIR = join(REPO_ROOT, 'test', 'unit', 'doctor', 'fixtures');

const names = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(SCENARIOS);
for (const name of names) {
  const expectation = SCENARIOS[name];
  const setup = SETUPS[name];
  if (!expectation || !setup) throw new Error(`unknown scenario ${name}`);
  await Lab.using(`drfix`, async (lab) => {
    const { srv, gw } = await buildTopology(lab);
    await setup.build(srv, gw);
    const path = join(FIXTURE_DIR, `${name}.json`);
    const result = await runDoctor(srv, [...expectation.args, '--record', path], setup.wrap);
    process.stdout.write(`${name}: exit ${result.code}, recorded ${path}\n`);
  });
}
