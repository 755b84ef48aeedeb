/**
 * Handlers report their exit code through argv; main() reads it back. In its
 * own module so command modules need not import ./index.ts, which imports
 * them (a cycle that breaks when a test imports a command module first).
 */
export function setExitCode(argv: object, code: number): void {
  (argv as { exitCode?: number }).exitCode = code;
}
