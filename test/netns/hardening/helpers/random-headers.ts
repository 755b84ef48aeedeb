/**
 * Seeded random hostile input: pure noise, and valid headers bent out of shape (cut, mutated, random v1 fields,
 * random v2 family/length/TLV bytes), so the run reaches the parser's deeper verdicts rather than failing every
 * connection on its first byte. The same seed gives the same bytes: a failing run is replayed with
 * HOSTILE_SEED=<seed>.
 */
import { randomInt } from 'node:crypto';

import { parseProxyHeader } from '../../../../src/native/proxy-header.js';
import type { ProxyParseResult } from '../../../../src/proxy-protocol/types.js';
import { v1 } from '../../dataplane/harness/headers.js';
import { TLV_NOOP, tlv, v2Inet } from './hostile-bytes.js';

/** mulberry32: small, fast and good enough to spread test input; not for anything secret. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** HOSTILE_SEED from the environment, else a fresh one (printed by the suite either way). */
export function chooseSeed(): number {
  const fixed = process.env.HOSTILE_SEED;
  if (fixed !== undefined && fixed !== '') {
    const seed = Number(fixed);
    if (!Number.isSafeInteger(seed) || seed < 0)
      throw new Error(`HOSTILE_SEED must be a non-negative integer, got ${fixed}`);
    return seed;
  }
  return randomInt(2 ** 31);
}

type Random = () => number;

const below = (random: Random, n: number): number => Math.floor(random() * n);

function noise(random: Random, length: number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = below(random, 256);
  return bytes;
}

/** Replaces, inserts or deletes a few bytes. */
function mutate(random: Random, bytes: Buffer): Buffer {
  let out = Buffer.from(bytes);
  const edits = 1 + below(random, 3);
  for (let e = 0; e < edits && out.length > 0; e++) {
    const at = below(random, out.length);
    const kind = below(random, 3);
    if (kind === 0) out[at] = below(random, 256);
    else if (kind === 1)
      out = Buffer.concat([out.subarray(0, at), noise(random, 1 + below(random, 4)), out.subarray(at)]);
    else out = Buffer.concat([out.subarray(0, at), out.subarray(at + 1)]);
  }
  return out;
}

const V1_WORDS = [
  'PROXY',
  'TCP4',
  'TCP6',
  'UNKNOWN',
  'UDP4',
  '192.0.2.1',
  '198.51.100.7',
  '::1',
  '2001:db8::7',
  '0',
  '65535',
  '65536',
  '080',
  '-1',
  ' ',
  '  ',
  '\r',
  '\n',
  '\r\n',
];

function randomV1(random: Random): Buffer {
  let text = 'PROXY';
  const words = 1 + below(random, 8);
  for (let i = 0; i < words; i++)
    text += (below(random, 4) === 0 ? '' : ' ') + V1_WORDS[below(random, V1_WORDS.length)];
  if (below(random, 2) === 0) text += '\r\n';
  return Buffer.from(text, 'latin1');
}

function randomV2(random: Random): Buffer {
  const client = { address: '198.51.100.9', port: 1 + below(random, 65_535) };
  const tlvs = Array.from({ length: below(random, 5) }, () =>
    tlv(below(random, 2) === 0 ? TLV_NOOP : below(random, 256), noise(random, below(random, 40))),
  );
  const header = v2Inet(client, tlvs);
  // Version/command, family/transport and the length: where v2 parsers go wrong.
  header[12] = below(random, 4) === 0 ? below(random, 256) : header[12]!;
  header[13] = below(random, 3) === 0 ? below(random, 256) : header[13]!;
  if (below(random, 3) === 0) header.writeUInt16BE(below(random, 65_536), 14);
  return header;
}

function candidate(random: Random): Buffer {
  const valid =
    below(random, 2) === 0
      ? v1({ source: '198.51.100.9', sourcePort: 40_000, destination: '192.0.2.2', destinationPort: 8443 })
      : v2Inet({ address: '198.51.100.9', port: 40_000 });
  switch (below(random, 6)) {
    case 0:
      return noise(random, 1 + below(random, 600));
    case 1:
      return randomV1(random);
    case 2:
      return randomV2(random);
    case 3:
      return mutate(random, valid);
    case 4:
      return valid.subarray(0, 1 + below(random, valid.length - 1));
    default:
      return Buffer.concat([valid.subarray(0, 12), noise(random, below(random, 300))]);
  }
}

export interface RandomInput {
  bytes: Buffer;
  /** The parser's verdict on these exact bytes: what the proxy must count. */
  verdict: ProxyParseResult;
}

/**
 * `count` random inputs for which `keep` holds (a complete header would open a real upstream flow from a
 * random address, which is another test's business). Also returns how many candidates were drawn.
 *
 * The expected counter of each input comes from the project's parser (via parseProxyHeader): the parser is
 * tested on its own (test/unit/proxy-protocol, the fuzzer); what this run checks is that the data plane counts
 * and closes every connection exactly as the parser's verdict says, whatever the bytes.
 */
export function randomInputs(
  seed: number,
  count: number,
  keep: (verdict: ProxyParseResult) => boolean,
): { inputs: RandomInput[]; drawn: number } {
  const random = prng(seed);
  const inputs: RandomInput[] = [];
  let drawn = 0;
  while (inputs.length < count && drawn < count * 20) {
    drawn++;
    const bytes = candidate(random);
    const verdict = parseProxyHeader(bytes);
    if (keep(verdict)) inputs.push({ bytes, verdict });
  }
  return { inputs, drawn };
}
