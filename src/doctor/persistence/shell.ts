/**
 * The `ip rule add` and `ip route add local … dev lo` commands in text that a
 * shell runs at boot (unit Exec lines, ifupdown stanzas, dispatcher scripts,
 * rc.local): commands split on `;`, `&&`, `||`, `|` and newlines, words split
 * as a shell would for the simple quoting these files use. Comments and
 * anything after `#` are ignored; `ip` may be called by any path.
 */
import type { Family, PolicyRule } from '../routing/policy/rule.js';
import { parseRuleArgs } from '../routing/policy/rule-args.js';

/** Shell words of one command line (single and double quotes, backslash escapes). */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let quote: '"' | "'" | null = null;
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const char = line[i] as string;
    if (quote) {
      if (char === quote) quote = null;
      else if (char === '\\' && quote === '"' && i + 1 < line.length) word += line[++i];
      else word += char;
      continue;
    }
    if (char === '"' || char === "'") {
      quote = char;
      inWord = true;
    } else if (char === '\\' && i + 1 < line.length) {
      word += line[++i];
      inWord = true;
    } else if (/\s/.test(char)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else if (char === '#' && !inWord) {
      break;
    } else {
      word += char;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/** The commands of a script: lines (backslash-continued lines joined), each split on ; && || |. */
export function shellCommands(text: string): string[][] {
  const lines = text.replace(/\\\n/g, ' ').split('\n');
  return lines.flatMap((line) =>
    line
      .split(/;|&&|\|\||\|/)
      .map(shellWords)
      .filter((words) => words.length > 0),
  );
}

const basename = (path: string) => path.slice(path.lastIndexOf('/') + 1);

/** The words after `ip` and its options, with the family the options ask for. */
function ipArgs(words: string[]): { family: Family | undefined; args: string[] } | null {
  // `sudo ip …`, `exec ip …`, `/sbin/ip …`
  const start = words.findIndex((word) => basename(word) === 'ip');
  if (start < 0 || !words.slice(0, start).every((word) => ['sudo', 'exec', 'command', '-'].includes(word))) return null;
  let family: Family | undefined;
  let i = start + 1;
  for (; i < words.length && (words[i] as string).startsWith('-'); i++) {
    const option = words[i] as string;
    if (option === '-6') family = 6;
    else if (option === '-4') family = 4;
    else if (option === '-f' || option === '-family') {
      family = words[i + 1] === 'inet6' ? 6 : 4;
      i++;
    }
  }
  return { family, args: words.slice(i) };
}

const isRuleObject = (word: string | undefined) => word !== undefined && word.length >= 2 && 'rule'.startsWith(word);
const isRouteObject = (word: string | undefined) => word !== undefined && 'route'.startsWith(word);
const isAdd = (word: string | undefined) =>
  word !== undefined && ['a', 'ad', 'add', 'append', 'replace'].includes(word);

export interface ConfiguredRule {
  rule: PolicyRule;
  /** null: the command gives none, the kernel picks one. */
  priority: number | null;
}

/** `ip [-6] rule add …` in one command, read fully, or null. */
export function ruleFromCommand(words: string[]): ConfiguredRule | null {
  const ip = ipArgs(words);
  if (!ip || !isRuleObject(ip.args[0]) || !isAdd(ip.args[1])) return null;
  return parseRuleArgs(ip.args.slice(2), ip.family);
}

/** `ip [-6] route add local 0.0.0.0/0|::/0|default dev lo table T`: "4/T" or "6/T", else null. */
export function localDefaultFromCommand(words: string[]): string | null {
  const ip = routeArgs(words);
  if (!ip) return null;
  const { family, args } = ip;
  if (args[0] !== 'local') return null;
  const destination = args[1];
  const options = new Map<string, string>();
  for (let i = 2; i + 1 < args.length; i += 2) options.set(args[i] as string, args[i + 1] as string);
  if (options.get('dev') !== 'lo') return null;
  const resolved: Family | null =
    destination === '::/0' ? 6 : destination === '0.0.0.0/0' ? 4 : destination === 'default' ? (family ?? 4) : null;
  if (resolved === null) return null;
  return `${resolved}/${options.get('table') ?? options.get('lookup') ?? 'main'}`;
}

function routeArgs(words: string[]): { family: Family | undefined; args: string[] } | null {
  const ip = ipArgs(words);
  if (!ip || !isRouteObject(ip.args[0]) || !isAdd(ip.args[1])) return null;
  return { family: ip.family, args: ip.args.slice(2) };
}

/** `mmproxy setup-routing …` (by any path to mmproxy, or to its bin/mmproxy.js as an installed unit runs it). */
export function runsSetupRouting(words: string[]): boolean {
  const at = words.findIndex((word) => ['mmproxy', 'mmproxy.js'].includes(basename(word)));
  return at >= 0 && words[at + 1] === 'setup-routing';
}
