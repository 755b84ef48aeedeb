/**
 * The one error type for failures inside the native addon. C++ constructs it
 * (native/src/binding/errors.cc) so callers can switch on `code` and `syscall`
 * exactly as they would for Node's own system errors.
 */
export class NativeError extends Error {
  readonly code: string;
  syscall?: string;
  errno?: number;

  constructor(message: string, code: string) {
    super(message);
    this.name = 'NativeError';
    this.code = code;
  }
}
