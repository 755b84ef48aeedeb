/**
 * A small, strict parser for the Prometheus text format, so tests check
 * what a scraper would read rather than matching strings. Throws on any
 * line it does not understand, and on samples without a TYPE.
 */
export interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface ParsedFamily {
  help?: string;
  type?: string;
  samples: ParsedSample[];
}

const HISTOGRAM_SUFFIXES = ['_bucket', '_sum', '_count'];

function unescape(text: string, allowQuote: boolean): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (char !== '\\') {
      out += char;
      continue;
    }
    const next = text[++i];
    if (next === '\\') out += '\\';
    else if (next === 'n') out += '\n';
    else if (next === '"' && allowQuote) out += '"';
    else throw new Error(`bad escape \\${next} in ${JSON.stringify(text)}`);
  }
  return out;
}

function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let rest = text;
  while (rest.length > 0) {
    const match = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/.exec(rest);
    if (!match) throw new Error(`bad labels: ${text}`);
    labels[match[1]!] = unescape(match[2]!, true);
    rest = rest.slice(match[0].length);
  }
  return labels;
}

function parseValue(text: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  const value = Number(text);
  if (text === '' || Number.isNaN(value)) throw new Error(`bad value ${JSON.stringify(text)}`);
  return value;
}

function familyOf(families: Map<string, ParsedFamily>, sampleName: string): ParsedFamily {
  const direct = families.get(sampleName);
  if (direct?.type) return direct;
  for (const suffix of HISTOGRAM_SUFFIXES) {
    if (!sampleName.endsWith(suffix)) continue;
    const family = families.get(sampleName.slice(0, -suffix.length));
    if (family?.type === 'histogram') return family;
  }
  throw new Error(`sample ${sampleName} has no TYPE line before it`);
}

export function parseExposition(text: string): Map<string, ParsedFamily> {
  const families = new Map<string, ParsedFamily>();
  const family = (name: string): ParsedFamily => {
    let found = families.get(name);
    if (!found) families.set(name, (found = { samples: [] }));
    return found;
  };
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a newline');
  for (const line of text.slice(0, -1).split('\n')) {
    const help = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (help) family(help[1]!).help = unescape(help[2]!, false);
    else if (type) family(type[1]!).type = type[2]!;
    else if (sample) {
      familyOf(families, sample[1]!).samples.push({
        name: sample[1]!,
        labels: parseLabels(sample[2] ?? ''),
        value: parseValue(sample[3]!),
      });
    } else throw new Error(`unparseable exposition line: ${JSON.stringify(line)}`);
  }
  return families;
}

/** The value of the one sample of `name` whose labels include `labels`. */
export function sampleValue(
  families: Map<string, ParsedFamily>,
  name: string,
  labels: Record<string, string> = {},
): number {
  const matches = [...families.values()]
    .flatMap((family) => family.samples)
    .filter((sample) => sample.name === name && Object.entries(labels).every(([k, v]) => sample.labels[k] === v));
  if (matches.length !== 1) throw new Error(`expected one ${name}${JSON.stringify(labels)}, found ${matches.length}`);
  return matches[0]!.value;
}
