/**
 * A TOML document as the config reader needs it: its tables in file order,
 * each entry with the line and column of its key and of its value. Numbers
 * keep the text they were written as (`0x2a`, `2.5`), so that they are read
 * by the same code as the flags; nothing is rounded on the way.
 *
 * The parser is toml-eslint-parser (TOML 1.0), chosen for its positions: it
 * gives a location to every key and value, which the plain TOML parsers on
 * npm (smol-toml, @iarna/toml, toml, @ltd/j-toml) do not keep.
 */
import { ParseError, parseTOML, type AST } from 'toml-eslint-parser';

/** 1-based line and column, as editors and compilers show them. */
export interface Position {
  line: number;
  column: number;
}

export type TomlValue =
  | { kind: 'string'; value: string; at: Position }
  /** An integer or a float, as written. */
  | { kind: 'number'; text: string; at: Position }
  | { kind: 'boolean'; value: boolean; at: Position }
  | { kind: 'array'; items: TomlValue[]; at: Position }
  /** An inline table or a date-time: nothing the config takes. */
  | { kind: 'other'; what: string; at: Position };

export interface TomlEntry {
  /** The key as written, dotted keys joined with dots. */
  key: string;
  at: Position;
  value: TomlValue;
}

export interface TomlTable {
  /** Null for the keys before the first header; else the header's name ("defaults", "listener"). */
  name: string | null;
  /** `[name]` or `[[name]]`. */
  array: boolean;
  at: Position;
  entries: TomlEntry[];
}

export class TomlSyntaxError extends Error {
  constructor(
    message: string,
    readonly at: Position,
  ) {
    super(message);
    this.name = 'TomlSyntaxError';
  }
}

function position(node: { loc: AST.SourceLocation }): Position {
  return { line: node.loc.start.line, column: node.loc.start.column + 1 };
}

function keyName(key: AST.TOMLKey): string {
  return key.keys.map((part) => (part.type === 'TOMLBare' ? part.name : part.value)).join('.');
}

function valueOf(node: AST.TOMLContentNode, source: string): TomlValue {
  const at = position(node);
  if (node.type === 'TOMLArray') return { kind: 'array', items: node.elements.map((e) => valueOf(e, source)), at };
  if (node.type === 'TOMLInlineTable') return { kind: 'other', what: 'an inline table', at };
  switch (node.kind) {
    case 'string':
      return { kind: 'string', value: node.value, at };
    case 'integer':
    case 'float':
      return { kind: 'number', text: source.slice(node.range[0], node.range[1]), at };
    case 'boolean':
      return { kind: 'boolean', value: node.value, at };
    default:
      return { kind: 'other', what: 'a date or time', at };
  }
}

function entries(body: AST.TOMLKeyValue[], source: string): TomlEntry[] {
  return body.map((entry) => ({ key: keyName(entry.key), at: position(entry), value: valueOf(entry.value, source) }));
}

/** Throws TomlSyntaxError at the first thing that is not TOML (TOML parsers stop there). */
export function readTomlTables(source: string): TomlTable[] {
  let program: AST.TOMLProgram;
  try {
    program = parseTOML(source);
  } catch (error) {
    if (error instanceof ParseError) {
      throw new TomlSyntaxError(error.message, { line: error.lineNumber, column: error.column + 1 });
    }
    throw error;
  }
  const top = program.body[0];
  const root: TomlTable = { name: null, array: false, at: { line: 1, column: 1 }, entries: [] };
  const tables = [root];
  for (const node of top.body) {
    if (node.type === 'TOMLKeyValue') {
      root.entries.push(...entries([node], source));
    } else {
      tables.push({
        name: keyName(node.key),
        array: node.kind === 'array',
        at: position(node),
        entries: entries(node.body, source),
      });
    }
  }
  return tables;
}
