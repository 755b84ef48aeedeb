/**
 * The median, minimum and maximum of a stream of millisecond times in bounded memory: a count per distinct
 * value, exact while there are at most MAX_DISTINCT of them. Past that, values are merged into buckets of a
 * doubling width (each counted at its bucket's low end), so the median is then exact to within that width;
 * the minimum and maximum stay exact. The times of one server's stuck sessions cluster, so a real log stays
 * exact.
 */

// A few hundred KB per histogram at most; a real cluster has a few hundred distinct values.
const MAX_DISTINCT = 8192;

export class MedianHistogram {
  private counts = new Map<number, number>();
  private width = 1;
  count = 0;
  min = Infinity;
  max = -Infinity;

  add(value: number): void {
    this.count++;
    this.min = Math.min(this.min, value);
    this.max = Math.max(this.max, value);
    const key = this.bucket(value);
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    if (this.counts.size > MAX_DISTINCT) this.coarsen();
  }

  /** The median (the mean of the two middle values for an even count); null when empty. */
  median(): number | null {
    if (this.count === 0) return null;
    const upper = Math.floor(this.count / 2);
    const lower = this.count % 2 ? upper : upper - 1;
    let seen = 0;
    let low: number | null = null;
    for (const [value, count] of [...this.counts].sort((a, b) => a[0] - b[0])) {
      seen += count;
      if (low === null && seen > lower) low = value;
      if (seen > upper) return ((low as number) + value) / 2;
    }
    return null;
  }

  private bucket(value: number): number {
    return this.width === 1 ? value : Math.floor(value / this.width) * this.width;
  }

  private coarsen(): void {
    this.width *= 2;
    const old = this.counts;
    this.counts = new Map();
    for (const [value, count] of old) {
      const key = this.bucket(value);
      this.counts.set(key, (this.counts.get(key) ?? 0) + count);
    }
  }
}
