/**
 * `mmproxy doctor` for real: each broken setup is built in fresh namespaces
 * (topology in ./doctor/scenarios.ts), the CLI runs inside, and the test
 * asserts the exact finding, the printed fix, that `--fix --yes` repairs what
 * is a routing fault (proved by the doctor's own spoofed probe connecting
 * afterwards), and that healthy setups report no failure.
 */
import assert from 'node:assert/strict';

import { assertNoLeaks, type Host, Lab } from '../../../lab/index.js';
import { printLabLogOnFailure, requireNetns } from '../support/index.js';
import { assertFindings, expectsFailure, unexpectedFailures } from '../../unit/doctor/assert-scenario.js';
import { SCENARIOS } from '../../unit/doctor/scenario-expectations.js';
import { runDoctor, runDoctorJson } from './helpers/run-doctor.js';
import { buildTopology, SETUPS } from './helpers/scenarios.js';

describe('mmproxy doctor in namespaces', function () {
  this.timeout(60_000);
  const labs: Lab[] = [];

  before(function () {
    requireNetns(this);
  });

  for (const [name, scenario] of Object.entries(SCENARIOS)) {
    const setup = SETUPS[name];
    if (!setup) throw new Error(`scenario ${name} has no setup`);
    describe(name, function () {
      let lab: Lab;
      let host: Host;
      before(async function () {
        lab = Lab.create(`dr${name.replace(/[^a-z]/g, '').slice(0, 6)}`);
        labs.push(lab);
        const topology = await buildTopology(lab);
        host = topology.srv;
        await setup.build(topology.srv, topology.gw);
      });
      afterEach(function () {
        printLabLogOnFailure(this, lab);
      });
      after(async function () {
        await lab?.destroy();
      });

      it('reports the exact finding and no false alarm', async function () {
        const report = await runDoctorJson(host, scenario.args, setup.wrap);
        const checks = [...report.checks.values()];
        assertFindings({ checks }, scenario);
        assert.deepEqual(unexpectedFailures({ checks }, scenario), []);
        assert.equal(report.code, expectsFailure(scenario) ? 1 : 0);
      });

      it('prints the fix commands in the human report', async function () {
        const { stdout, code } = await runDoctor(host, scenario.args, setup.wrap);
        assert.equal(code, expectsFailure(scenario) ? 1 : 0, stdout);
        for (const expected of Object.values(scenario.checks)) {
          for (const command of expected.commands ?? [])
            assert.ok(stdout.includes(`\n      ${command}\n`), `missing fix line: ${command}\n${stdout}`);
        }
        if (expectsFailure(scenario)) assert.match(stdout, /^✘ Most likely root cause: /m);
      });

      if (scenario.fixRepairs && expectsFailure(scenario)) {
        it('--fix --yes repairs it, and the re-check proves it', async function () {
          const fixed = await runDoctor(host, [...scenario.args, '--fix', '--yes'], setup.wrap);
          assert.equal(fixed.code, 0, fixed.stdout);
          assert.match(fixed.stdout, /\n {2}ran: ip /);
          const after = await runDoctorJson(host, scenario.args, setup.wrap);
          assert.equal(after.code, 0);
          for (const id of ['loopback-routing-v4', 'loopback-routing-v6', 'mark-routing', 'target', 'packet-capture']) {
            const status = after.checks.get(id)?.status;
            assert.ok(
              status === 'ok' || status === 'skip',
              `${id} after --fix: ${status} ${after.checks.get(id)?.summary}`,
            );
          }
        });
      } else if (expectsFailure(scenario)) {
        it('--fix --yes changes nothing that is not routing', async function () {
          const rulesBefore = await host.exec(['ip', '-j', 'rule']);
          const fixed = await runDoctor(host, [...scenario.args, '--fix', '--yes'], setup.wrap);
          assert.equal(fixed.code, 1);
          assert.match(fixed.stdout, /--fix: no routing fix to apply\./);
          assert.equal((await host.exec(['ip', '-j', 'rule'])).stdout, rulesBefore.stdout);
        });
      }
    });
  }

  after(async function () {
    for (const lab of labs) await lab.destroy();
    if (labs.length) await assertNoLeaks(...labs);
  });
});
