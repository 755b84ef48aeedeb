import { createHash } from 'node:crypto';

/** n deterministic, non-repeating-looking bytes: both ends (and the test) can recompute them. */
export function payload(n: number): Buffer {
  const bytes = Buffer.alloc(n);
  for (let i = 0; i < n; i++) bytes[i] = (i * 131 + (i >>> 8) * 7 + 17) & 0xff;
  return bytes;
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
