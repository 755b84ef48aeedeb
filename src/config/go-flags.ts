/**
 * Go's flag package, which go-mmproxy uses, reads `-mark 1` and `--mark 1`
 * alike; yargs would read `-mark` as the short flags -m -a -r -k, and `-4` as
 * a negative number. This rewrites Go-style tokens into the form yargs reads,
 * before yargs sees them, without touching values or anything after `--`.
 */

export interface GoFlagSpec {
  /** Every name (long and short) of the flags that take a value. */
  valueFlags: ReadonlySet<string>;
  /** Names yargs cannot take as written, e.g. { '4': 'target4' }. */
  renames: Readonly<Record<string, string>>;
  /**
   * Value flags that may also be counted, by their one-letter name: { v: 'verbose' } reads `-vv` as
   * `--verbose 2` and a bare `-v` (no number after it) as `--verbose 1`, the habit of most Unix tools.
   */
  counted?: Readonly<Record<string, string>>;
}

const REPEATED_LETTER = /^-([A-Za-z])\1*$/;
const NEGATIVE_NUMBER = /^-[0-9]/;

/** `-vv` → ['--verbose', '2']; `-v` before a non-number → ['--verbose', '1']; else null. */
function countedFlag(token: string, next: string | undefined, spec: GoFlagSpec): string[] | null {
  const match = REPEATED_LETTER.exec(token);
  const name = match && spec.counted?.[match[1]!];
  if (!name) return null;
  const count = token.length - 1;
  // `-v 2` is go-mmproxy's; `-v loud` or `-v -1` is a bad value for the parser to name. Only a -v with nothing
  // after it, or another flag, is counted.
  if (count === 1 && next !== undefined && !(FLAG.test(next) && !NEGATIVE_NUMBER.test(next))) return null;
  return [`--${name}`, String(count)];
}

const FLAG = /^(--?)([A-Za-z0-9][A-Za-z0-9_-]*)(=.*)?$/s;

/**
 * Rewrites `-name`, `-name=value` and renamed flags; a token that follows a
 * value flag written without `=` is its value and is kept as it is; other
 * words (a subcommand's positionals) pass unchanged. The caller passes what
 * follows the subcommand's name, for the commands that take the proxy's flags.
 */
export function normaliseGoFlags(args: readonly string[], spec: GoFlagSpec): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const token = args[i]!;
    if (token === '--') {
      out.push(...args.slice(i));
      break;
    }
    const counted = countedFlag(token, args[i + 1], spec);
    if (counted) {
      out.push(...counted);
      continue;
    }
    const match = FLAG.exec(token);
    if (!match) {
      out.push(token);
      continue;
    }
    const [, dashes, written, assigned] = match;
    const name = spec.renames[written!] ?? written!;
    if (name.length === 1 && dashes === '-') {
      // A real short flag: yargs reads it; split "-l=x" as Go allows it.
      out.push(`-${name}`, ...(assigned === undefined ? [] : [assigned.slice(1)]));
    } else {
      out.push(`--${name}${assigned ?? ''}`);
    }
    if (assigned === undefined && spec.valueFlags.has(name) && i + 1 < args.length) {
      out.push(args[++i]!);
    }
  }
  return out;
}
