/**
 * Streams an HAProxy log into a HaproxyLogTally line by line: linear time, and memory bounded by one chunk,
 * one (capped) partial line and the tally, whatever the log's size.
 */
import { isAscii } from 'node:buffer';
import { StringDecoder } from 'node:string_decoder';

import { HaproxyLogTally } from './log-tally.js';

// The session fields lead the line; anything past this (a huge request line) is cut and never needed.
export const MAX_LINE_CHARS = 64 * 1024;

/**
 * The chunk's text. Logs are ASCII nearly always, and an ASCII chunk is copied as it is (Latin-1), much faster
 * than UTF-8 decoding; the decoder's end() first flushes what an earlier chunk left mid-character, which no ASCII
 * byte can complete (the decoder itself would give U+FFFD for it too).
 */
function decode(decoder: StringDecoder, chunk: Buffer): string {
  return isAscii(chunk) ? decoder.end() + chunk.toString('latin1') : decoder.write(chunk);
}

/** Called after each chunk with the bytes and lines read so far. */
export type LogProgress = (bytes: number, lines: number) => void;

export async function tallyHaproxyLog(
  input: AsyncIterable<Buffer | string>,
  onProgress?: LogProgress,
): Promise<HaproxyLogTally> {
  const tally = new HaproxyLogTally();
  const decoder = new StringDecoder('utf8');
  let partial = '';
  let bytes = 0;
  let lines = 0;
  const take = (text: string) => {
    let start = 0;
    for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
      const piece = text.slice(start, end);
      tally.addLine(partial === '' ? piece : (partial + piece).slice(0, MAX_LINE_CHARS));
      partial = '';
      lines++;
      start = end + 1;
    }
    if (start < text.length && partial.length < MAX_LINE_CHARS)
      partial = (partial + text.slice(start)).slice(0, MAX_LINE_CHARS);
  };
  for await (const chunk of input) {
    if (typeof chunk === 'string') {
      bytes += Buffer.byteLength(chunk);
      take(chunk);
    } else {
      bytes += chunk.length;
      take(decode(decoder, chunk));
    }
    onProgress?.(bytes, lines);
  }
  take(decoder.end());
  if (partial !== '') tally.addLine(partial);
  return tally;
}
