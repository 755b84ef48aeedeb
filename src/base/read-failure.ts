/**
 * Why a file could not be read, short: Node's message reads "ENOENT: no such
 * file or directory, open '…'", of which the middle part says it, plus the code.
 */
export function readFailure(error: unknown): string {
  const { code, message } = error as NodeJS.ErrnoException;
  const reason = /^\w+: ([^,]+)/.exec(message)?.[1] ?? message;
  return `${reason}${code ? ` (${code})` : ''}`;
}
