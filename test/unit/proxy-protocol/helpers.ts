/** Shared helpers of the PROXY codec tests: byte builders, seeded splits, incremental feeding. */
import { parseProxyHeader } from '../../../src/native/proxy-header.js';
import type { ProxyParseResult } from '../../../src/proxy-protocol/types.js';

export const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);

/** Text with \r and \n as written, one byte per character. */
export function ascii(text: string): Buffer {
  return Buffer.from(text, 'latin1');
}

/** A v2 header from its parts; `length` defaults to the body's size. */
export function v2(
  versionCommand: number,
  familyTransport: number,
  body: Uint8Array = Buffer.alloc(0),
  length?: number,
): Buffer {
  const fixed = Buffer.from([versionCommand, familyTransport, 0, 0]);
  fixed.writeUInt16BE(length ?? body.length, 2);
  return Buffer.concat([V2_SIGNATURE, fixed, body]);
}

export function tlvBytes(type: number, value: Uint8Array | string): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'latin1') : Buffer.from(value);
  return Buffer.concat([Buffer.from([type, bytes.length >> 8, bytes.length & 0xff]), bytes]);
}

/** Deterministic PRNG (mulberry32) so a failing split can be replayed from its seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Chunk sizes that cover `total` bytes, drawn from `random`. */
export function randomSplit(total: number, random: () => number): number[] {
  const sizes: number[] = [];
  for (let left = total; left > 0;) {
    const size = 1 + Math.floor(random() * Math.min(left, 40));
    sizes.push(size);
    left -= size;
  }
  return sizes;
}

export interface Verdict {
  result: ProxyParseResult;
  /** How many bytes had arrived when the parser stopped saying need_more. */
  receivedAt: number;
}

/** Feeds `data` chunk by chunk as a receiver would, parsing everything received so far each time. */
export function feed(data: Uint8Array, chunks: number[]): Verdict {
  let received = 0;
  let result: ProxyParseResult = { status: 'need_more' };
  for (const size of chunks) {
    received += size;
    result = parseProxyHeader(data.subarray(0, received));
    if (result.status !== 'need_more') break;
  }
  return { result, receivedAt: received };
}

export function byteAtATime(data: Uint8Array): Verdict {
  return feed(data, new Array<number>(data.length).fill(1));
}
