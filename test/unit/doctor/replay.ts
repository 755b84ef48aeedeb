/** Runs the doctor on a recorded fixture, as the CLI would parse the scenario's arguments. */
import { readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import yargs from 'yargs';

import { doctorCommand } from '../../../src/cli/commands/doctor.js';
import { replaySystem } from '../../../src/doctor/context/replay-system.js';
import type { Recording } from '../../../src/doctor/context/recording-system.js';
import { runDoctor, type DoctorArgs } from '../../../src/doctor/doctor.js';
import { normaliseArgs } from '../../../src/cli/main.js';
import { parseProxyOptions } from '../../../src/config/proxy-options.js';
import { setupFromOptions, type ProxySetup } from '../../../src/doctor/options/proxy-setup.js';

/** The field log, one definition for the tests and the benchmark. */
export { FIELD_LOG } from '../../../scripts/bench/haproxy-log/make-log.js';

/** Fixtures stay in the source tree; this file runs from dist/test/unit/doctor/. */
export const FIXTURES = fileURLToPath(new URL('../../../../test/unit/doctor/fixtures/', import.meta.url));

export function loadFixture(name: string): Recording {
  return JSON.parse(readFileSync(`${FIXTURES}${name}.json`, 'utf8')) as Recording;
}

/** The doctor command's own parser (positionals included), with a handler that only parses. */
export async function parseDoctorArgs(args: string[]): Promise<DoctorArgs> {
  const parsed = await yargs(normaliseArgs(['doctor', ...args]))
    .exitProcess(false)
    .strict()
    .command({ ...doctorCommand, handler: () => undefined })
    .parseAsync();
  return parsed as unknown as DoctorArgs;
}

/** The setup the doctor examines for these (already parsed) arguments, as runDoctor builds it. */
export function setupFromArgs(args: DoctorArgs): ProxySetup {
  return setupFromOptions(parseProxyOptions(args), args['expected-connections']);
}

export interface JsonReport {
  rootCause: { id: string; explains: string[] } | null;
  checks: {
    id: string;
    status: string;
    summary: string;
    evidence: string[];
    remediation: { commands: string[]; text: string; appliedByFix: boolean } | null;
  }[];
  exitCode: number;
}

/** Runs the doctor on a fixture; `stdinText`, when given, is what stdin holds (it is never a terminal here). */
export async function replayDoctor(
  fixture: string,
  args: string[],
  overrides: Recording = {},
  stdinText?: string,
): Promise<{ code: number; output: string }> {
  const stdout = new PassThrough();
  let output = '';
  stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const stdin = new PassThrough();
  if (stdinText !== undefined) stdin.end(stdinText);
  const code = await runDoctor(
    await parseDoctorArgs(args),
    { stdout, stdin, env: {} },
    replaySystem(loadFixture(fixture), overrides),
  );
  return { code, output };
}

export async function replayJson(fixture: string, args: string[], overrides: Recording = {}): Promise<JsonReport> {
  const { output } = await replayDoctor(fixture, ['--json', ...args], overrides);
  return JSON.parse(output) as JsonReport;
}
