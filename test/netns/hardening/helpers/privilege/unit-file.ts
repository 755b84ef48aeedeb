/**
 * Reads a systemd unit the way systemd does, for the parts the tests run:
 * sections and repeated keys, the prefixes of Exec lines ("+" = full
 * privileges), specifiers (%i, %%), $VAR (split into words) and ${VAR}
 * (one word), EnvironmentFile= assignments, capability lists and time spans.
 * Anything this reader does not understand (quotes, other specifiers) throws
 * rather than being guessed.
 */
import { readFile } from 'node:fs/promises';

export interface ExecCommand {
  /** "+": runs as root outside the sandbox (User=, capabilities, namespacing not applied). */
  fullPrivileges: boolean;
  /** "-": a failure is ignored. */
  ignoreFailure: boolean;
  argv: string[];
}

const EXEC_PREFIXES = /^[-@:+!]*/;
const SECONDS = { ms: 0.001, s: 1, sec: 1, m: 60, min: 60, h: 3600 } as const;

export class UnitFile {
  private constructor(
    readonly path: string,
    private readonly entries: { section: string; key: string; value: string }[],
    /** The instance name of a template (foo@INSTANCE.service). */
    readonly instance: string,
  ) {}

  static async read(path: string, instance: string): Promise<UnitFile> {
    const entries: { section: string; key: string; value: string }[] = [];
    let section = '';
    for (const [index, raw] of (await readFile(path, 'utf8')).split('\n').entries()) {
      const line = raw.trim();
      if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
      if (line.endsWith('\\'))
        throw new Error(`${path}:${index + 1}: line continuations are not supported by this reader`);
      const header = /^\[(.+)\]$/.exec(line);
      if (header) {
        section = header[1]!;
        continue;
      }
      const equals = line.indexOf('=');
      if (equals < 1) throw new Error(`${path}:${index + 1}: not a key=value line: ${line}`);
      entries.push({ section, key: line.slice(0, equals).trim(), value: line.slice(equals + 1).trim() });
    }
    return new UnitFile(path, entries, instance);
  }

  /** Every value of key in [section], in order, after the last empty assignment (which resets a list). */
  all(section: string, key: string): string[] {
    const values = this.entries
      .filter((entry) => entry.section === section && entry.key === key)
      .map((entry) => entry.value);
    const reset = values.lastIndexOf('');
    return values.slice(reset + 1);
  }

  /** The last value of key in [section]; throws when absent. */
  one(section: string, key: string): string {
    const values = this.all(section, key);
    if (values.length === 0) throw new Error(`${this.path}: no ${key}= in [${section}]`);
    return values[values.length - 1]!;
  }

  /** A whitespace-separated list setting (AmbientCapabilities=), across all its lines. */
  list(section: string, key: string): string[] {
    return this.all(section, key).flatMap((value) => value.split(/\s+/).filter(Boolean));
  }

  flag(section: string, key: string): boolean {
    return /^(yes|true|on|1)$/i.test(this.one(section, key));
  }

  /** A time span such as "30s", "2min" or "500ms", in seconds. */
  seconds(section: string, key: string): number {
    const text = this.one(section, key);
    let total = 0;
    for (const part of text.split(/\s+/)) {
      const match = /^(\d+(?:\.\d+)?)(ms|s|sec|m|min|h)?$/.exec(part);
      if (!match) throw new Error(`${this.path}: ${key}=${text}: not a time span this reader knows`);
      total += Number(match[1]) * SECONDS[(match[2] ?? 's') as keyof typeof SECONDS];
    }
    return total;
  }

  /** %i and %% expanded; any other specifier throws. */
  specifiers(text: string): string {
    return text.replace(/%(.)/g, (_, letter: string) => {
      if (letter === 'i') return this.instance;
      if (letter === '%') return '%';
      throw new Error(`${this.path}: specifier %${letter} is not supported by this reader`);
    });
  }

  /** The Exec lines of key (ExecStartPre, ExecStart, ...), expanded with `env`. */
  commands(key: string, env: Readonly<Record<string, string>>): ExecCommand[] {
    return this.all('Service', key).map((value) => {
      const prefixes = EXEC_PREFIXES.exec(value)![0];
      const words = this.specifiers(value.slice(prefixes.length)).split(/\s+/).filter(Boolean);
      if (words.some((word) => /["']/.test(word)))
        throw new Error(`${this.path}: ${key}=${value}: quoting is not supported by this reader`);
      return {
        fullPrivileges: prefixes.includes('+'),
        ignoreFailure: prefixes.includes('-'),
        argv: words.flatMap((word) => expand(word, env)),
      };
    });
  }
}

/** systemd's rules: "$NAME" alone is split at whitespace into words; "${NAME}" stays one word. */
function expand(word: string, env: Readonly<Record<string, string>>): string[] {
  const lookup = (name: string): string => {
    const value = env[name];
    if (value === undefined) throw new Error(`$${name} is not set`);
    return value;
  };
  const alone = /^\$([A-Za-z_][A-Za-z0-9_]*)$/.exec(word);
  if (alone) return lookup(alone[1]!).split(/\s+/).filter(Boolean);
  return [word.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => lookup(name))];
}

/** KEY=VALUE lines of an EnvironmentFile=, # and ; comments, values optionally in matching quotes. */
export function parseEnvironmentFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!match) throw new Error(`not an assignment: ${line}`);
    const value = match[2]!.trim();
    env[match[1]!] = /^(["']).*\1$/.test(value) ? value.slice(1, -1) : value;
  }
  return env;
}
