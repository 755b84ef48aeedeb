/**
 * A Dockerfile read as Docker reads it: comments dropped, `\` continuations joined, one instruction a line,
 * grouped into stages at each FROM. Enough for lint rules; not a full BuildKit parser (no heredocs).
 */
export interface Instruction {
  keyword: string;
  /** Everything after the keyword, continuations joined with a space. */
  args: string;
  line: number;
}

export interface Stage {
  from: string;
  name: string | null;
  instructions: Instruction[];
}

export interface Dockerfile {
  /** ARGs before the first FROM, with their defaults. */
  globalArgs: Map<string, string>;
  stages: Stage[];
}

function logicalLines(text: string): { text: string; line: number }[] {
  const lines: { text: string; line: number }[] = [];
  let pending: { text: string; line: number } | null = null;
  text.split('\n').forEach((raw, index) => {
    const trimmed = raw.trim();
    if (trimmed.startsWith('#') || (trimmed === '' && pending === null)) return;
    const continued = trimmed.endsWith('\\');
    const body = continued ? trimmed.slice(0, -1).trim() : trimmed;
    pending = pending ? { ...pending, text: `${pending.text} ${body}`.trim() } : { text: body, line: index + 1 };
    if (!continued) {
      lines.push(pending);
      pending = null;
    }
  });
  if (pending) throw new Error('the Dockerfile ends inside a \\ continuation');
  return lines;
}

export function parseDockerfile(text: string): Dockerfile {
  const globalArgs = new Map<string, string>();
  const stages: Stage[] = [];
  for (const { text: line, line: number } of logicalLines(text)) {
    const match = /^(\S+)\s*(.*)$/.exec(line);
    if (!match) continue;
    const keyword = match[1]!.toUpperCase();
    const args = match[2]!;
    if (keyword === 'FROM') {
      const from = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      if (!from) throw new Error(`line ${number}: cannot read FROM ${args}`);
      stages.push({ from: from[1]!, name: from[2] ?? null, instructions: [] });
    } else if (stages.length === 0) {
      if (keyword !== 'ARG') throw new Error(`line ${number}: ${keyword} before the first FROM`);
      const [name, value = ''] = args.split('=', 2);
      globalArgs.set(name!, value);
    } else {
      stages[stages.length - 1]!.instructions.push({ keyword, args, line: number });
    }
  }
  return { globalArgs, stages };
}

/** ${NAME} and $NAME replaced with the global ARGs' defaults, as Docker does in FROM. */
export function expandArgs(value: string, args: Map<string, string>): string {
  return value.replace(/\$\{?(\w+)\}?/g, (whole, name: string) => args.get(name) ?? whole);
}

/** A stage's own ARGs, with their defaults (what a build without --build-arg gets). */
export function stageArgs(stage: Stage): Map<string, string> {
  const args = new Map<string, string>();
  for (const instruction of stage.instructions) {
    if (instruction.keyword !== 'ARG') continue;
    const [name, value = ''] = instruction.args.split('=', 2);
    args.set(name!, value);
  }
  return args;
}

/** The `setcap CAPS PATH` of a stage, CAPS with its ARG's default: what the node copy carries. */
export function stageSetcap(stage: Stage): { capabilities: string; path: string } | null {
  const setcap = stage.instructions.map((i) => /setcap (\S+) (\S+)/.exec(i.args)).find(Boolean);
  return setcap ? { capabilities: expandArgs(setcap[1]!, stageArgs(stage)), path: setcap[2]! } : null;
}

/** The file capabilities the Dockerfile's comment tells a fast-path build to pass (--build-arg PROXY_FILE_CAPS=). */
export function fastPathFileCapabilities(text: string): string | null {
  return /--build-arg PROXY_FILE_CAPS=(\S+)/.exec(text)?.[1] ?? null;
}
