import { execFile, execFileSync } from 'node:child_process';
import { CommandLog, formatArgv } from './command-log.js';
import { describeBound, scaled } from './time-scale.js';

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  /** Upper bound for the command (stretched by the run's time scale); it is SIGKILLed and the call rejects when exceeded. */
  timeoutMs?: number;
}

export const DEFAULT_EXEC_TIMEOUT_MS = 10_000;
/** Default bound of the kit's readiness waits: generous, since test machines are shared and loaded, and a wait
 * ends as soon as its condition holds. */
export const DEFAULT_WAIT_MS = 10_000;
// Generous: a client may print a large JSON result, haproxy -c a long report.
const MAX_OUTPUT_BYTES = 16 * 1024 * 1024;

/** Runs argv without a shell, logs it, and resolves with its exit code (non-zero is not an error here). */
export function execLogged(log: CommandLog, argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
  const [file, ...args] = argv;
  if (file === undefined) throw new Error('execLogged: empty argv');
  const boundMs = options.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS;
  const timeoutMs = scaled(boundMs);
  const startedAt = Date.now();
  log.note(`$ ${formatArgv(argv)}`);
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: MAX_OUTPUT_BYTES, encoding: 'utf8' },
      (error, stdout, stderr) => {
        const took = `${Date.now() - startedAt}ms`;
        if (error && typeof error.code !== 'number') {
          const why = error.killed ? `timed out after ${describeBound(boundMs)}` : error.message;
          log.note(`  -> failed: ${why}`);
          reject(new Error(`${formatArgv(argv)}: ${why}`));
          return;
        }
        const code = error ? Number(error.code) : 0;
        log.note(`  -> exit ${code} (${took})${code !== 0 && stderr ? `: ${stderr.trim()}` : ''}`);
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Like execLogged but rejects, with the command's stderr, when it exits non-zero. */
export async function runLogged(
  log: CommandLog,
  argv: readonly string[],
  options: ExecOptions = {},
): Promise<ExecResult> {
  const result = await execLogged(log, argv, options);
  if (result.code !== 0) {
    throw new Error(`command failed (exit ${result.code}): ${formatArgv(argv)}\n${result.stderr.trim()}`);
  }
  return result;
}

/** Synchronous variant for the process 'exit' handler, where no promise can settle. Never throws. */
export function execLoggedSync(log: CommandLog, argv: readonly string[], timeoutMs = 5_000): string {
  const [file, ...args] = argv;
  log.note(`$ ${formatArgv(argv)} (sync)`);
  try {
    return execFileSync(file ?? '', args, { timeout: timeoutMs, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    log.note(`  -> failed: ${(error as Error).message.split('\n')[0]}`);
    return '';
  }
}
