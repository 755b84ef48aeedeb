/**
 * `mmproxy doctor`: runs the selected checks against the proxy setup given
 * by the same flags as the proxy (or every listener of a config file, --config),
 * prints the report (human or --json), and with --fix applies the routing
 * fixes and runs the checks again to prove them.
 */
import { createReadStream } from 'node:fs';
import { stat, writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline/promises';

import { UsageError } from '../base/errors.js';
import { createContext, type RunOptions } from './context/context.js';
import { realSystem } from './context/real-system.js';
import { recordingSystem } from './context/recording-system.js';
import type { SystemAccess } from './context/system-access.js';
import { applyFixes, routingFixes, type AppliedFix, type FixOutcome } from './fix.js';
import { readRunningProxy, type RunningProxy } from './options/from-running.js';
import { formatEndpoint } from '../base/net/endpoint.js';
import type { HaproxyLogTally } from './haproxy/log-tally.js';
import { tallyHaproxyLog } from './haproxy/read-log.js';
import { terminalProgress, type ProgressStream } from './haproxy/read-progress.js';
import { flagLabel, givenProxyFlags, type RawProxyFlags } from '../config/proxy-flags.js';
import { parseProxyOptions } from '../config/proxy-options.js';
import { setupFromOptions, type ListenerSetup, type ProxySetup } from './options/proxy-setup.js';
import { registry, selectChecks } from './registry.js';
import { renderHuman } from './render/human.js';
import { renderJson, type JsonSubject } from './render/json.js';
import { CHECK_INVALID, describeListeners, readConfigForUse } from '../config/check-config.js';
import type { ProxyConfig } from '../config/proxy-config.js';
import { runChecksForListeners, setupsFromConfig } from './config-run.js';
import { reconcile } from './reconcile.js';
import { exitCodeFor, runChecks } from './runner.js';
import type { Check, CheckReport } from './types.js';

export interface DoctorArgs extends RawProxyFlags {
  checks?: string[];
  json?: boolean;
  listChecks?: boolean;
  fix?: boolean;
  yes?: boolean;
  capture?: boolean;
  haproxyLog?: string;
  probeTimeout?: number;
  color?: boolean;
  record?: string;
  fromRunning?: boolean;
  socket?: string;
  'expected-connections'?: number;
  config?: string;
}

/** What the run examines: one setup (flags, --from-running), or a config file's listeners. */
interface Subject {
  heading: string;
  about: JsonSubject;
  running?: RunningProxy;
  run(checks: readonly Check[], options: RunOptions, system: SystemAccess): Promise<CheckReport[]>;
}

function singleSubject(setup: ProxySetup, running?: RunningProxy): Subject {
  return {
    heading: heading(setup, running),
    about: setup,
    run: (checks, options, system) => runChecks(checks, createContext(setup, options, system)),
    ...(running ? { running } : {}),
  };
}

/** --config: every listener of the file, each check once per distinct part it reads (./config-run.ts). */
function configSubject(file: string, config: ProxyConfig, expectedConnections?: number): Subject {
  const listeners = setupsFromConfig(config, expectedConnections);
  return {
    heading: `mmproxy doctor: ${file}: ${describeListeners(config)}`,
    about: { config: file, listeners },
    run: (checks, options, system) => runChecksForListeners(checks, listeners, options, system),
  };
}

/** --from-running on a proxy that runs a config file's listeners: each serving one, as --config would check them. */
function runningListenersSubject(listeners: ListenerSetup[], running: RunningProxy): Subject {
  return {
    heading: `mmproxy doctor: the running proxy (pid ${running.pid}): ${listeners.length} listeners`,
    about: { listeners },
    running,
    run: (checks, options, system) => runChecksForListeners(checks, listeners, options, system),
  };
}

/**
 * The setup from the flags, from the running proxy's stats socket with
 * --from-running, or from a config file with --config; null when the file has
 * mistakes (written to `err`, as check-config writes them).
 */
async function subjectFor(args: DoctorArgs, err: (line: string) => void): Promise<Subject | null> {
  const given = givenProxyFlags(args);
  if (args.config !== undefined) {
    if (args.fromRunning) throw new UsageError('--config and --from-running each name the setup to check: keep one');
    if (given.length) {
      throw new UsageError(
        `--config reads every listener from the file: drop ${given.map(flagLabel).join(' ')}, or drop --config`,
      );
    }
    const config = await readConfigForUse(args.config, err);
    return config && configSubject(args.config, config, args['expected-connections']);
  }
  if (!args.fromRunning) {
    if (args.socket !== undefined)
      throw new UsageError('--socket names the running proxy to check: add --from-running');
    return singleSubject(setupFromOptions(parseProxyOptions(args), args['expected-connections']));
  }
  if (given.length) {
    throw new UsageError(
      `--from-running reads the setup from the running proxy: drop ${given.map(flagLabel).join(' ')}, or drop --from-running`,
    );
  }
  const { setup, running, listeners } = await readRunningProxy(args.socket, args['expected-connections']);
  return listeners ? runningListenersSubject(listeners, running) : singleSubject(setup, running);
}

export interface DoctorIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  /** Where a long --haproxy-log read shows its progress, when it is a terminal. */
  stderr?: ProgressStream;
  env: NodeJS.ProcessEnv;
}

// A loopback handshake takes well under a millisecond; half a second is generous.
const DEFAULT_PROBE_TIMEOUT_MS = 500;
const DEFAULT_WIDTH = 100;

// Below V8's large-object size (128 KiB), so each chunk's text dies young in the nursery: with 1 MiB chunks,
// each went to the large-object space until a full collection, and the peak RSS on 1 GiB rose from 90 to 170 MB.
const LOG_CHUNK_BYTES = 64 * 1024;

/** Streams the log (a file, or stdin for -) into its tally, with a progress line when stderr is a terminal. */
async function readHaproxyLog(path: string | undefined, io: DoctorIo): Promise<HaproxyLogTally | null> {
  if (path === undefined) return null;
  const fromStdin = path === '-';
  try {
    const size = fromStdin ? null : (await stat(path)).size;
    const input = fromStdin ? io.stdin : createReadStream(path, { highWaterMark: LOG_CHUNK_BYTES });
    const progress = terminalProgress(io.stderr, fromStdin ? 'the log on stdin' : path, size);
    try {
      return await tallyHaproxyLog(input as AsyncIterable<Buffer>, progress.update);
    } finally {
      progress.done();
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === undefined) throw error;
    throw new UsageError(`--haproxy-log ${path}: ${code}`);
  }
}

function listChecks(): string {
  const width = Math.max(...registry.map((check) => check.id.length));
  return (
    registry.map((check) => `${check.id.padEnd(width)}  ${check.title} [${check.groups.join(', ')}]`).join('\n') + '\n'
  );
}

function heading(setup: ProxySetup, running?: RunningProxy): string {
  const targets = [setup.target4, setup.target6].flatMap((target) => (target ? [formatEndpoint(target)] : []));
  const mark = setup.mark ? `, mark ${setup.mark}` : '';
  const dynamic = setup.dynamicDestination ? ' (-dynamic-destination: only these targets are checked)' : '';
  const source = running ? ` (running proxy, pid ${running.pid})` : '';
  return `mmproxy doctor: ${setup.protocol} ${formatEndpoint(setup.listen)} → ${targets.join(', ')}${mark}${dynamic}${source}`;
}

async function confirm(io: DoctorIo, question: string): Promise<boolean> {
  const prompt = createInterface({ input: io.stdin, output: io.stdout });
  try {
    return /^y(es)?$/i.test((await prompt.question(question)).trim());
  } finally {
    prompt.close();
  }
}

export async function runDoctor(args: DoctorArgs, io: DoctorIo, system: SystemAccess = realSystem()): Promise<number> {
  if (args.listChecks) {
    io.stdout.write(listChecks());
    return 0;
  }
  if (args.fix && args.haproxyLog === '-' && !args.yes) {
    throw new UsageError('--fix reads its confirmation from stdin, which --haproxy-log - already uses: add --yes');
  }
  const subject = await subjectFor(args, (line) => (io.stderr ?? process.stderr).write(`${line}\n`));
  if (!subject) return CHECK_INVALID;
  const checks = selectChecks(args.checks ?? []);
  const options: RunOptions = {
    capture: args.capture ?? false,
    haproxyLog: await readHaproxyLog(args.haproxyLog, io),
    probeTimeoutMs: args.probeTimeout ?? DEFAULT_PROBE_TIMEOUT_MS,
    ...(subject.running ? { runningProxy: subject.running } : {}),
  };
  const recorder = args.record ? recordingSystem(system) : null;
  const runOnce = (): Promise<CheckReport[]> =>
    subject.run(checks, options, recorder?.system ?? system).then(reconcile);
  const colour = args.color ?? (Boolean(io.stdout.isTTY) && io.env['NO_COLOR'] === undefined);
  const print = (reports: CheckReport[], fix?: FixOutcome) => {
    const code = exitCodeFor(reports);
    io.stdout.write(
      args.json
        ? renderJson(reports, subject.about, code, fix)
        : renderHuman(reports, { colour, width: io.stdout.columns ?? DEFAULT_WIDTH, heading: subject.heading }),
    );
    return code;
  };

  const reports = await runOnce();
  let code: number;
  if (!args.fix) {
    code = print(reports);
  } else {
    // --json prints one document: the state after the fix, with what was run.
    if (!args.json) print(reports);
    const fix = await fixRoutes(reports, { args, io, system });
    const final = fix.applied.length ? await runOnce() : reports;
    if (!args.json && fix.applied.length) io.stdout.write('\nChecking again:\n\n');
    code = args.json || fix.applied.length ? print(final, fix) : exitCodeFor(final);
  }
  if (recorder && args.record) await writeFile(args.record, JSON.stringify(recorder.recording, null, 2) + '\n');
  return code;
}

interface FixDeps {
  args: DoctorArgs;
  io: DoctorIo;
  system: SystemAccess;
}

/** Shows the routing commands, asks unless --yes, runs them; says why when it runs none. */
async function fixRoutes(reports: CheckReport[], { args, io, system }: FixDeps): Promise<FixOutcome> {
  const commands = routingFixes(reports);
  const note = (text: string) => io.stdout.write(args.json ? '' : `${text}\n`);
  const outcome = (reason: string | null, applied: AppliedFix[] = []): FixOutcome => {
    if (reason) note(`--fix: ${reason}`);
    return { commands: commands.map((argv) => argv.join(' ')), applied, notApplied: reason };
  };
  if (commands.length === 0) return outcome('no routing fix to apply.');
  note(`\n--fix will run:\n${commands.map((argv) => `  ${argv.join(' ')}`).join('\n')}`);
  if (!args.yes) {
    if (!io.stdin.isTTY) return outcome('not applied: stdin is not a terminal to confirm on; add --yes.');
    if (!(await confirm(io, 'Apply? [y/N] '))) return outcome('nothing changed.');
  }
  const applied = await applyFixes(system, commands);
  for (const step of applied) note(step.ok ? `  ran: ${step.command}` : `  FAILED: ${step.command}: ${step.error}`);
  return outcome(null, applied);
}
