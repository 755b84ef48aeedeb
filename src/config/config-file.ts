/**
 * The config file (TOML, docs/config.md): settings of the process at the top,
 * `[defaults]` for every listener, then one `[[listener]]` table per service.
 * Every key is a flag's long name and is read by that flag's own code
 * (./settings.ts). Every mistake is collected with its line and column, and
 * all of them are reported together: nothing runs from a file with one.
 */
import { closestNames, editDistance } from '../base/did-you-mean.js';
import { readFile } from 'node:fs/promises';

import { LISTENER_NAME, MAX_LISTENERS } from '../base/listener-names.js';
import { readFailure } from '../base/read-failure.js';
import type { Cidr } from '../base/net/cidr.js';
import { formatPortSpan, type PortSpan } from '../base/net/port-span.js';
import { parseSubnetEntry, SubnetFileError } from './allowed-subnets.js';
import type { ListenerOptions, NamedListener, ProcessOptions, ProxyConfig } from './proxy-config.js';
import { PROXY_FLAGS } from './proxy-flags.js';
import {
  fileKey,
  isListenerValueFlag,
  LISTENER_FLAGS,
  LISTENER_VALUE_PARSERS,
  PROCESS_FLAGS,
  readListenerSettings,
  readProcessSettings,
  type ListenerFlag,
  type Mistake,
  type ProcessFlag,
  type ProxyFlagName,
  type SettingReader,
} from './settings.js';
import { SettingError } from './setting-values.js';
import {
  readTomlTables,
  TomlSyntaxError,
  type Position,
  type TomlEntry,
  type TomlTable,
  type TomlValue,
} from './toml-tables.js';

export const LISTENER_TABLE = 'listener';
export const DEFAULTS_TABLE = 'defaults';
const NAME_KEY = 'name';
export { MAX_LISTENERS };

export interface ConfigIssue {
  /** Null when the mistake is the file's as a whole (unreadable, no listener). */
  at: Position | null;
  message: string;
}

export class ConfigFileError extends Error {
  constructor(
    readonly file: string,
    readonly issues: ConfigIssue[],
  ) {
    super(issues.map((issue) => formatIssue(file, issue)).join('\n'));
    this.name = 'ConfigFileError';
  }
}

/** "file:line:column: message", as compilers write it, so editors jump to it. */
export function formatIssue(file: string, issue: ConfigIssue): string {
  return issue.at ? `${file}:${issue.at.line}:${issue.at.column}: ${issue.message}` : `${file}: ${issue.message}`;
}

export interface LoadedConfig {
  config: ProxyConfig;
  /** Accepted but changed (host bits cleared), one line each with its position. */
  notes: string[];
}

const PROCESS_KEYS = new Map<string, ProcessFlag>(PROCESS_FLAGS.map((flag) => [fileKey(flag), flag]));
const LISTENER_KEYS = new Map<string, ListenerFlag>(LISTENER_FLAGS.map((flag) => [fileKey(flag), flag]));
/** Keys that say which listener a table is: never in [defaults]. */
const OWN_KEYS = new Set<string>([NAME_KEY, 'listen']);

function isSwitch(flag: ProxyFlagName): boolean {
  const spec = PROXY_FLAGS[flag];
  return 'type' in spec && spec.type === 'boolean';
}

function describe(value: TomlValue): string {
  switch (value.kind) {
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'boolean':
      return value.value ? 'true' : 'false';
    case 'array':
      return 'a list';
    default:
      return value.what;
  }
}

function suggestion(key: string, known: Iterable<string>): string {
  const close = closestNames(key, known).filter((name) => editDistance(key, name) <= 2);
  return close.length > 0 ? `; did you mean ${close.map((name) => `"${name}"`).join(' or ')}?` : '';
}

/** A setting's entry, its type checked; the text a flag would carry, or a switch's value. */
interface Given {
  entry: TomlEntry;
  text?: string;
  switch?: boolean;
  list?: string[];
}

class ConfigReader {
  readonly issues: ConfigIssue[] = [];
  private readonly noted = new Set<string>();
  private readonly seen = new Set<string>();

  constructor(readonly file: string) {}

  get notes(): string[] {
    return [...this.noted];
  }

  /** Notes of [defaults] values come once per listener: each is kept once. */
  note(notes: string[]): void {
    for (const note of notes) this.noted.add(note);
  }

  issue(at: Position | null, message: string): void {
    const key = `${at?.line}:${at?.column}:${message}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.issues.push({ at, message });
  }

  /** The entry as `flag` takes it, or undefined (reported) when its type does not fit. */
  given(entry: TomlEntry, flag: ProxyFlagName, where: string): Given | undefined {
    const { value } = entry;
    const wrong = (expected: string): undefined => {
      this.issue(value.at, `${where}${entry.key}: must be ${expected}, not ${describe(value)}`);
      return undefined;
    };
    if (isSwitch(flag)) return value.kind === 'boolean' ? { entry, switch: value.value } : wrong('true or false');
    if (value.kind === 'string') return { entry, text: value.value };
    if (value.kind === 'number') return { entry, text: value.text };
    if (flag === 'allowed-subnets' && value.kind === 'array') {
      const strays = value.items.filter((item) => item.kind !== 'string');
      for (const item of strays) {
        this.issue(
          item.at,
          `${where}${entry.key}: each prefix goes in quotes, like "192.0.2.0/24", not ${describe(item)}`,
        );
      }
      return strays.length > 0
        ? undefined
        : { entry, list: value.items.flatMap((item) => (item.kind === 'string' ? [item.value] : [])) };
    }
    return wrong(
      flag === 'allowed-subnets'
        ? 'a file path or a list of prefixes in quotes, like ["192.0.2.0/24"]'
        : 'a string or a number',
    );
  }
}

/** The process's keys, at the top of the file. */
function readProcessTable(reader: ConfigReader, root: TomlTable): ProcessOptions | undefined {
  const values = new Map<ProxyFlagName, Given>();
  for (const entry of root.entries) {
    const flag = PROCESS_KEYS.get(entry.key);
    if (flag) {
      const given = reader.given(entry, flag, '');
      if (given) values.set(flag, given);
    } else if (LISTENER_KEYS.has(entry.key)) {
      reader.issue(
        entry.at,
        `${entry.key}: a listener's setting; put it in [${DEFAULTS_TABLE}] (for every listener) or in a [[${LISTENER_TABLE}]] table`,
      );
    } else if (entry.key === LISTENER_TABLE || entry.key === DEFAULTS_TABLE) {
      reader.issue(
        entry.at,
        `${entry.key}: write it as ${entry.key === LISTENER_TABLE ? `[[${LISTENER_TABLE}]] tables` : `a [${DEFAULTS_TABLE}] table`}`,
      );
    } else {
      reader.issue(
        entry.at,
        `${entry.key}: not a setting of the process${suggestion(entry.key, [...PROCESS_KEYS.keys(), ...LISTENER_KEYS.keys()])}`,
      );
    }
  }
  return readProcessSettings({
    text: (flag) => values.get(flag)?.text,
    switch: (flag) => values.get(flag)?.switch,
    label: fileKey,
    invalid: (flag, message) => reader.issue(values.get(flag)?.entry.value.at ?? null, `${fileKey(flag)}: ${message}`),
  });
}

/** The listener keys of a table ([defaults] or one [[listener]]), type-checked. */
function listenerEntries(
  reader: ConfigReader,
  table: TomlTable,
  where: string,
  isDefaults: boolean,
): Map<ListenerFlag, Given> {
  const values = new Map<ListenerFlag, Given>();
  for (const entry of table.entries) {
    if (entry.key === NAME_KEY && !isDefaults) continue;
    const flag = LISTENER_KEYS.get(entry.key);
    if (isDefaults && OWN_KEYS.has(entry.key)) {
      reader.issue(
        entry.at,
        `${where}${entry.key}: each listener has its own; set it in its [[${LISTENER_TABLE}]] table`,
      );
    } else if (flag) {
      const given = reader.given(entry, flag, where);
      if (given) values.set(flag, given);
    } else if (PROCESS_KEYS.has(entry.key)) {
      reader.issue(
        entry.at,
        `${where}${entry.key}: a setting of the whole process; put it at the top of the file, before any table`,
      );
    } else {
      reader.issue(
        entry.at,
        `${where}${entry.key}: not a listener setting${suggestion(entry.key, [...LISTENER_KEYS.keys(), NAME_KEY])}`,
      );
    }
  }
  return values;
}

/** [defaults] on its own: each value is checked once, where it is written. */
function checkDefaults(reader: ConfigReader, defaults: Map<ListenerFlag, Given>): void {
  for (const [flag, given] of defaults) {
    if (!isListenerValueFlag(flag) || given.text === undefined) continue;
    try {
      LISTENER_VALUE_PARSERS[flag](given.text);
    } catch (error) {
      if (!(error instanceof SettingError)) throw error;
      reader.issue(given.entry.value.at, `${DEFAULTS_TABLE}: ${given.entry.key}: ${error.message}`);
    }
  }
}

function inlineSubnets(reader: ConfigReader, given: Given, where: string): Cidr[] | undefined {
  const list = given.list ?? [];
  if (list.length === 0) {
    reader.issue(
      given.entry.value.at,
      `${where}allowed-subnets: the list is empty; list the load balancers' prefixes, or leave the key out to allow every peer`,
    );
    return undefined;
  }
  const subnets: Cidr[] = [];
  const value = given.entry.value;
  const items = value.kind === 'array' ? value.items : [];
  let ok = true;
  for (const [index, text] of list.entries()) {
    const at = items[index]?.at ?? value.at;
    try {
      const notes: string[] = [];
      const cidr = parseSubnetEntry(text.trim(), `${reader.file}:${at.line}:${at.column}`, notes);
      reader.note(notes);
      if (!subnets.includes(cidr)) subnets.push(cidr);
    } catch (error) {
      if (!(error instanceof SubnetFileError)) throw error;
      // parseSubnetEntry names the place itself; keep only its reason.
      reader.issue(at, `${where}allowed-subnets: ${error.message.replace(/^[^ ]*: /, '')}`);
      ok = false;
    }
  }
  return ok ? subnets : undefined;
}

function readListener(
  reader: ConfigReader,
  table: TomlTable,
  defaults: Map<ListenerFlag, Given>,
): NamedListener | undefined {
  const nameEntry = table.entries.find((entry) => entry.key === NAME_KEY);
  let name: string | undefined;
  if (!nameEntry) {
    reader.issue(
      table.at,
      `[[${LISTENER_TABLE}]]: needs a name (name = "ssh"): it labels the listener's metrics and log lines, and a reload matches listeners by it`,
    );
  } else if (nameEntry.value.kind !== 'string' || !LISTENER_NAME.test(nameEntry.value.value)) {
    reader.issue(
      nameEntry.value.at,
      `name: must be a string of letters, digits, '.', '_' or '-' (at most 63, starting with a letter or digit), not ${nameEntry.value.kind === 'string' ? JSON.stringify(nameEntry.value.value) : describe(nameEntry.value)}`,
    );
  } else {
    name = nameEntry.value.value;
  }
  const where = name ? `listener "${name}": ` : `[[${LISTENER_TABLE}]] at line ${table.at.line}: `;
  const own = listenerEntries(reader, table, where, false);
  if (!own.has('listen')) reader.issue(table.at, `${where}needs a listen address, like listen = "0.0.0.0:8443"`);
  const valueFor = (flag: ProxyFlagName): Given | undefined =>
    own.get(flag as ListenerFlag) ?? defaults.get(flag as ListenerFlag);
  const settingReader: SettingReader = {
    text: (flag) => valueFor(flag)?.text,
    switch: (flag) => valueFor(flag)?.switch,
    label: fileKey,
    invalid: (flag, message, how?: Mistake) => {
      const ownValue = own.get(flag as ListenerFlag);
      const text = how?.named ? message : `${fileKey(flag)}: ${message}`;
      if (ownValue) {
        reader.issue(ownValue.entry.value.at, `${where}${text}`);
      } else if (how?.across) {
        // A value from [defaults] (or the flag's default) that does not fit this listener.
        const from = defaults.has(flag as ListenerFlag) ? ` (${fileKey(flag)} from [${DEFAULTS_TABLE}])` : '';
        reader.issue(table.at, `${where}${text}${from}`);
      }
      // Otherwise a value of [defaults] on its own: checkDefaults reported it where it is written.
    },
  };
  // A list is written inline; a string is a file path, read by the settings like the flag.
  const subnetsGiven = valueFor('allowed-subnets');
  const inline = subnetsGiven?.list;
  const listener = readListenerSettings(settingReader);
  const allowedSubnets = inline && subnetsGiven ? inlineSubnets(reader, subnetsGiven, where) : null;
  if (!listener || !name || allowedSubnets === undefined || !own.has('listen')) return undefined;
  return { ...listener, name, allowedSubnets };
}

/** Two listeners of one protocol on overlapping addresses and ports would share (and split) the traffic. */
function overlaps(a: ListenerOptions, b: ListenerOptions): boolean {
  if (a.protocol !== b.protocol) return false;
  if (a.listen.lastPort < b.listen.port || b.listen.lastPort < a.listen.port) return false;
  const wildcard = (span: PortSpan) => span.address === '0.0.0.0' || span.address === '::';
  // An IPv6 listener is dual stack: [::] also takes IPv4.
  if (a.listen.address === b.listen.address || a.listen.address === '::' || b.listen.address === '::') return true;
  return a.listen.family === b.listen.family && (wildcard(a.listen) || wildcard(b.listen));
}

/** Each name once, whether or not the rest of its table is right. */
function checkNames(reader: ConfigReader, tables: TomlTable[]): void {
  const names = new Map<string, TomlTable>();
  for (const table of tables) {
    const name = table.entries.find((entry) => entry.key === NAME_KEY)?.value;
    if (name?.kind !== 'string') continue;
    const first = names.get(name.value);
    if (first) {
      reader.issue(
        name.at,
        `listener "${name.value}": the name is taken by the listener at line ${first.at.line}; each needs its own`,
      );
    } else {
      names.set(name.value, table);
    }
  }
}

function checkOverlaps(reader: ConfigReader, listeners: { listener: NamedListener; table: TomlTable }[]): void {
  for (const [index, { listener, table }] of listeners.entries()) {
    for (const other of listeners.slice(0, index)) {
      if (!overlaps(listener, other.listener)) continue;
      const listen = table.entries.find((entry) => entry.key === 'listen');
      reader.issue(
        listen?.value.at ?? table.at,
        `listener "${listener.name}": listen: ${listener.protocol} ${formatPortSpan(listener.listen)} overlaps listener ` +
          `"${other.listener.name}" (${formatPortSpan(other.listener.listen)}, line ${other.table.at.line}); ` +
          'two listeners on one port would split its connections between them',
      );
    }
  }
}

/** By line and column; mistakes of the file as a whole last. */
function inFileOrder(a: ConfigIssue, b: ConfigIssue): number {
  const line = (issue: ConfigIssue) => issue.at?.line ?? Infinity;
  return line(a) - line(b) || (a.at?.column ?? 0) - (b.at?.column ?? 0);
}

/** Reads a config from its text; `file` labels the messages. Throws ConfigFileError with every mistake. */
export function parseConfigText(source: string, file: string): LoadedConfig {
  const reader = new ConfigReader(file);
  let tables: TomlTable[];
  try {
    tables = readTomlTables(source);
  } catch (error) {
    if (error instanceof TomlSyntaxError)
      throw new ConfigFileError(file, [{ at: error.at, message: `not valid TOML: ${error.message}` }]);
    throw error;
  }
  const [root, ...rest] = tables as [TomlTable, ...TomlTable[]];
  const process = readProcessTable(reader, root);
  let defaults = new Map<ListenerFlag, Given>();
  const listenerTables: TomlTable[] = [];
  for (const table of rest) {
    if (table.name === DEFAULTS_TABLE && !table.array) {
      defaults = listenerEntries(reader, table, `${DEFAULTS_TABLE}: `, true);
    } else if (table.name === LISTENER_TABLE && table.array) {
      listenerTables.push(table);
    } else if (table.name === LISTENER_TABLE || table.name === DEFAULTS_TABLE) {
      const right = table.name === LISTENER_TABLE ? `[[${LISTENER_TABLE}]]` : `[${DEFAULTS_TABLE}]`;
      reader.issue(
        table.at,
        `${table.array ? `[[${table.name}]]` : `[${table.name}]`}: write ${right}${table.name === LISTENER_TABLE ? ' (two brackets: one table per listener)' : ''}`,
      );
    } else {
      reader.issue(
        table.at,
        `[${table.name}]: not a table of the config; it has settings at the top, [${DEFAULTS_TABLE}] and [[${LISTENER_TABLE}]] tables${suggestion(table.name ?? '', [DEFAULTS_TABLE, LISTENER_TABLE])}`,
      );
    }
  }
  checkDefaults(reader, defaults);
  if (listenerTables.length === 0) {
    reader.issue(
      null,
      `no [[${LISTENER_TABLE}]] table: add one per service, with a name and a listen address (docs/config.md)`,
    );
  }
  if (listenerTables.length > MAX_LISTENERS) {
    reader.issue(listenerTables[MAX_LISTENERS]!.at, `at most ${MAX_LISTENERS} listeners per process; this is one more`);
  }
  const listeners = listenerTables.flatMap((table) => {
    const listener = readListener(reader, table, defaults);
    return listener ? [{ listener, table }] : [];
  });
  checkNames(reader, listenerTables);
  checkOverlaps(reader, listeners);
  if (reader.issues.length > 0 || !process) {
    throw new ConfigFileError(file, reader.issues.sort(inFileOrder));
  }
  return { config: { process, listeners: listeners.map(({ listener }) => listener), file }, notes: reader.notes };
}

/** Reads and checks the file; an unreadable file is a ConfigFileError too. */
export async function loadConfigFile(file: string): Promise<LoadedConfig> {
  let source: string;
  try {
    source = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigFileError(file, [{ at: null, message: `cannot read the config file: ${readFailure(error)}` }]);
  }
  return parseConfigText(source, file);
}
