import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Every command a lab runs, with its outcome, kept in memory and saved on teardown. */
export class CommandLog {
  private readonly lines: string[] = [];
  private readonly startedAt = Date.now();

  constructor(readonly name: string) {}

  note(text: string): void {
    const seconds = ((Date.now() - this.startedAt) / 1000).toFixed(3).padStart(8);
    this.lines.push(`[${seconds}s] ${text}`);
  }

  text(): string {
    return this.lines.join('\n') + '\n';
  }

  readonly directory = join(tmpdir(), 'mmproxy-netns-logs');

  /** Writes the log under the OS temp dir and returns the path, so a failed test can point at it. */
  save(): string {
    mkdirSync(this.directory, { recursive: true });
    const path = join(this.directory, `${this.name}.log`);
    writeFileSync(path, this.text());
    return path;
  }
}

/** Shell-like rendering of an argv, for logs and error messages only (never executed). */
export function formatArgv(argv: readonly string[]): string {
  return argv.map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : JSON.stringify(arg))).join(' ');
}
