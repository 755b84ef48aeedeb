/**
 * Every command of the CLI, in the order --help lists them. Each module is
 * thin: options in `builder`, and a `handler` that lazily imports the
 * implementation and stores its exit code with setExitCode().
 */
import type { CommandModule } from 'yargs';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [];

/** Handlers report their exit code through argv; main() reads it back. */
export function setExitCode(argv: object, code: number): void {
  (argv as { exitCode?: number }).exitCode = code;
}
