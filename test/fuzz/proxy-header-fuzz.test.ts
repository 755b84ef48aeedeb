/**
 * Runs the PROXY parser's libFuzzer target (scripts/fuzz.sh) for a bounded
 * time; it must end clean. Where clang or libFuzzer is missing (the script
 * exits 77 then), it fails saying why, or skips with MMPROXY_ALLOW_SKIP=1.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { requirePrerequisite } from '../support/prerequisite.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const FUZZ_SECONDS = 60;
const SKIP_STATUS = 77;
// 16 fixed bytes and a 16-bit length: the largest v2 header.
const MAX_V2_HEADER = 16 + 0xffff;
// The max-size seeds chain 21,800 TLVs or so (3 bytes each, empty); a third of that is long enough to show reach.
const LONG_CHAIN = 7000;
// Building the instrumented target takes a while on a shared 2-core machine.
const BUILD_ALLOWANCE_MS = 180_000;

interface Run {
  status: number | null;
  stderr: string;
}

function runFuzzScript(): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [join(ROOT, 'scripts', 'fuzz.sh')], {
      cwd: ROOT,
      env: { ...process.env, FUZZ_SECONDS: String(FUZZ_SECONDS) },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stderr }));
  });
}

describe('PROXY parser fuzzing (libFuzzer, ASan, UBSan)', function () {
  this.timeout(FUZZ_SECONDS * 1000 + BUILD_ALLOWANCE_MS);

  it(`finds nothing in ${FUZZ_SECONDS} s`, async function () {
    const run = await runFuzzScript();
    requirePrerequisite(this, run.status === SKIP_STATUS ? run.stderr.trim() : null);
    assert.equal(run.status, 0, `scripts/fuzz.sh reported a finding or failed:\n${run.stderr}`);
    const executed = /stat::number_of_executed_units:\s+(\d+)/.exec(run.stderr);
    assert.ok(executed && Number(executed[1]) > 0, `no executions reported:\n${run.stderr}`);
    for (const line of run.stderr.split('\n').filter((l) => /DONE|number_of_executed|exec_per_sec|^reach:/.test(l))) {
      console.log(`      ${line.trim()}`);
    }
    // The run reached the largest v2 header and TLV chains as long as that size allows (the max-size seeds):
    // a -max_len below 65551 would cut them.
    const reach =
      /^reach: largest complete v2 header (\d+) bytes, longest TLV chain (\d+), longest SSL sub-TLV chain (\d+)$/m.exec(
        run.stderr,
      );
    assert.ok(reach, `the fuzzer printed no reach line:\n${run.stderr}`);
    assert.equal(Number(reach[1]), MAX_V2_HEADER);
    assert.ok(Number(reach[2]) >= LONG_CHAIN, `longest TLV chain ${reach[2]}`);
    assert.ok(Number(reach[3]) >= LONG_CHAIN, `longest SSL sub-TLV chain ${reach[3]}`);
  });
});
