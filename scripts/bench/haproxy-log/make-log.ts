/** Writes a large HAProxy log made of whole repeats of real log lines, for the --haproxy-log benchmark and test. */
import { once } from 'node:events';
import { createWriteStream, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// About 1 MiB per write: few system calls, little memory.
const BLOCK_BYTES = 1024 * 1024;

// HAProxy's log of a real deployment, shared beside the clone (/work/shared/fixtures); this file runs from
// dist/scripts/bench/haproxy-log/.
export const FIELD_LOG = fileURLToPath(new URL('../../../../../shared/fixtures/haproxy-field.log', import.meta.url));

/** The field log's lines, each of them a real HAProxy session. */
export function fieldLogLines(path = FIELD_LOG): string[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '');
}

export interface WrittenLog {
  bytes: number;
  lines: number;
  /** How many times the source lines were written, whole. */
  repeats: number;
}

/** Repeats `sourceLines` (each written with a newline) until at least `targetBytes` are written. */
export async function writeRepeatedLog(path: string, sourceLines: string[], targetBytes: number): Promise<WrittenLog> {
  const oneRepeat = sourceLines.map((line) => `${line}\n`).join('');
  const perRepeat = Buffer.byteLength(oneRepeat);
  const repeatsPerBlock = Math.max(1, Math.floor(BLOCK_BYTES / perRepeat));
  const block = oneRepeat.repeat(repeatsPerBlock);
  const repeats = Math.max(1, Math.ceil(targetBytes / perRepeat));
  const out = createWriteStream(path);
  for (let written = 0; written < repeats;) {
    const count = Math.min(repeatsPerBlock, repeats - written);
    const text = count === repeatsPerBlock ? block : oneRepeat.repeat(count);
    if (!out.write(text)) await once(out, 'drain');
    written += count;
  }
  out.end();
  await once(out, 'finish');
  return { bytes: perRepeat * repeats, lines: sourceLines.length * repeats, repeats };
}
