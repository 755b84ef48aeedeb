/** Reading `mmproxy top --once` output back: the flow rows, keyed by client address:port. */

const UNITS: Record<string, number> = { B: 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

/** "1.2M" → 1258291 (approximately: top rounds to at most four characters). */
export function parseShownBytes(text: string): number {
  const match = /^(\d+(?:\.\d)?)([BKMGT])$/.exec(text);
  if (!match) throw new Error(`not a byte count as top prints it: ${JSON.stringify(text)}`);
  return Number(match[1]) * UNITS[match[2]!]!;
}

export interface ShownFlow {
  client: string;
  state: string;
  toTarget: number;
  toClient: number;
}

/** The rows of the flow table, with every column (the frame must be wide enough for LB and TARGET), sorted by rate as --once is. */
export function shownFlows(frame: string): Map<string, ShownFlow> {
  const lines = frame.split('\n');
  const header = lines.findIndex((line) => /^CLIENT +LB +TARGET +STATE +AGE +→TARGET +←CLIENT +RATE▼$/.test(line));
  if (header === -1) throw new Error(`no full-width flow table in:\n${frame}`);
  const flows = new Map<string, ShownFlow>();
  for (const line of lines.slice(header + 1)) {
    const cells = line.trim().split(/ +/);
    if (cells.length !== 8) break;
    const [client, , , state, , toTarget, toClient] = cells as [string, string, string, string, string, string, string];
    flows.set(client, { client, state, toTarget: parseShownBytes(toTarget), toClient: parseShownBytes(toClient) });
  }
  return flows;
}
