/**
 * The median, minimum and maximum of a stream of millisecond times in bounded memory: a count per distinct
 * value, kept sorted in typed arrays, exact while there are at most MAX_DISTINCT of them. Past that, values are
 * merged into buckets of a doubling width (each counted at its bucket's low end), in place, so the median is then
 * exact to within that width; the minimum and maximum stay exact. The times of one server's stuck sessions
 * cluster, so a real log stays exact.
 */

// A real cluster has a few hundred distinct values (a 7.1 s give-up ± 0.5 s at most 1001). At most 16 KB per
// histogram, with at most MAX_SERVERS of them (log-tally.ts): 16 MB for the worst log, and no garbage.
export const MAX_DISTINCT = 1024;
const INITIAL_CAPACITY = 16;

export class MedianHistogram {
  /** Sorted bucket values, and their counts, in [0, size). */
  private keys = new Float64Array(INITIAL_CAPACITY);
  private counts = new Float64Array(INITIAL_CAPACITY);
  private size = 0;
  private width = 1;
  count = 0;
  min = Infinity;
  max = -Infinity;

  add(value: number): void {
    this.count++;
    this.min = Math.min(this.min, value);
    this.max = Math.max(this.max, value);
    for (;;) {
      const key = this.bucket(value);
      const index = this.lowerBound(key);
      if (index < this.size && this.keys[index] === key) {
        this.counts[index]! += 1;
        return;
      }
      if (this.size < MAX_DISTINCT) {
        this.insert(index, key);
        return;
      }
      this.coarsen();
    }
  }

  /** The median (the mean of the two middle values for an even count); null when empty. */
  median(): number | null {
    if (this.count === 0) return null;
    const upper = Math.floor(this.count / 2);
    const lower = this.count % 2 ? upper : upper - 1;
    let seen = 0;
    let low: number | null = null;
    for (let index = 0; index < this.size; index++) {
      const value = this.keys[index]!;
      seen += this.counts[index]!;
      if (low === null && seen > lower) low = value;
      if (seen > upper) return ((low as number) + value) / 2;
    }
    return null;
  }

  private bucket(value: number): number {
    return this.width === 1 ? value : Math.floor(value / this.width) * this.width;
  }

  /** The first index whose key is not below `key`. */
  private lowerBound(key: number): number {
    let low = 0;
    let high = this.size;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.keys[middle]! < key) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  private insert(index: number, key: number): void {
    if (this.size === this.keys.length) {
      const capacity = Math.min(MAX_DISTINCT, 2 * this.keys.length);
      const keys = new Float64Array(capacity);
      const counts = new Float64Array(capacity);
      keys.set(this.keys);
      counts.set(this.counts);
      [this.keys, this.counts] = [keys, counts];
    }
    this.keys.copyWithin(index + 1, index, this.size);
    this.counts.copyWithin(index + 1, index, this.size);
    this.keys[index] = key;
    this.counts[index] = 1;
    this.size++;
  }

  /** Doubles the bucket width, merging neighbours in place (the order is kept: bucketing is monotonic). */
  private coarsen(): void {
    this.width *= 2;
    let out = -1;
    for (let index = 0; index < this.size; index++) {
      const key = this.bucket(this.keys[index]!);
      if (out >= 0 && this.keys[out] === key) {
        this.counts[out]! += this.counts[index]!;
      } else {
        out++;
        this.keys[out] = key;
        this.counts[out] = this.counts[index]!;
      }
    }
    this.size = out + 1;
  }
}
