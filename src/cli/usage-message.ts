/**
 * Usage errors as a person can act on them: yargs' "Unknown arguments: metric-listen, metricListen" becomes
 * "unknown flag --metric-listen; did you mean --metrics-listen?", and the help it points at is the command's own.
 */
import { closestNames } from '../base/did-you-mean.js';

const UNKNOWN = /^Unknown arguments?: (.+)$/s;

const kebab = (name: string) => name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
const asFlag = (name: string) => (name.length === 1 ? `-${name}` : `--${name}`);

/** How the user wrote `name` in `args`: a flag (`--name`, `-name`, `--no-name`, with or without `=`), or a word. */
function written(name: string, args: readonly string[]): { flag: string | null } {
  for (const form of [asFlag(name), `--${name}`, `-${name}`, `--no-${name}`]) {
    if (args.some((arg) => arg === form || arg.startsWith(`${form}=`))) return { flag: form };
  }
  return { flag: null };
}

/**
 * yargs' unknown-argument message rewritten with dashes, without its camel-case copies, with the closest
 * `known` flag names, and words that are not flags called words; any other message as it is. `args` is the
 * command line yargs read.
 */
export function usageMessage(message: string, known: readonly string[], args: readonly string[]): string {
  const match = UNKNOWN.exec(message);
  if (!match) return message;
  const names = match[1]!.split(', ');
  const unknown = names.filter((name) => name === kebab(name) || !names.includes(kebab(name)));
  const longNames = known.filter((name) => name.length > 1 && name === kebab(name));
  const lines = unknown.map((name) => {
    const { flag } = written(name, args);
    if (!flag) return `unexpected word "${name}": the flags before it take no value, or it is a misspelt command`;
    const [closest] = closestNames(name, longNames);
    return `unknown flag ${flag}${closest ? `; did you mean --${closest}?` : ''}`;
  });
  return lines.join('\n');
}

/** Where to read more: the subcommand's help when the command line names one. */
export function helpHint(args: readonly string[], commands: readonly string[]): string {
  const command = args.find((arg) => !arg.startsWith('-'));
  const named = command !== undefined && commands.includes(command) ? `${command} ` : '';
  return `Run 'mmproxy ${named}--help' for usage.`;
}
