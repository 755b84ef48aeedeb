/** `192.0.2.1:7000`, `[2001:db8::1]:7000` or `2001:db8::1:7000` (last colon wins) → {host, port}. */
export function parseHostPort(text: string): { host: string; port: number } {
  const bracketed = /^\[([^\]]+)\]:(\d+)$/.exec(text);
  const colon = text.lastIndexOf(':');
  const host = bracketed ? bracketed[1] : text.slice(0, colon);
  const port = Number(bracketed ? bracketed[2] : text.slice(colon + 1));
  if (!host || colon < 0 || !Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`expected address:port (IPv6 as [addr]:port), got ${JSON.stringify(text)}`);
  }
  return { host, port };
}

/** Value of `--name value` in argv, or undefined. */
export function option(argv: readonly string[], name: string): string | undefined {
  const index = argv.indexOf(`--${name}`);
  return index >= 0 ? argv[index + 1] : undefined;
}

/** Value of `--name N` as a non-negative integer, fallback when absent; exits with a usage error otherwise. */
export function countOption(argv: readonly string[], name: string, fallback: number): number {
  const text = option(argv, name);
  const value = text === undefined ? fallback : Number(text);
  if (!Number.isSafeInteger(value) || value < 0) {
    process.stderr.write(`--${name} wants a non-negative integer, got ${JSON.stringify(text)}\n`);
    process.exit(2);
  }
  return value;
}
