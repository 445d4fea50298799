/** Small statistics helpers: percentiles over latency samples, medians over rounds. */

/** A growable array of float64 samples, cheap to append on the hot path. */
export class Samples {
  private buf = new Float64Array(4096);
  private n = 0;

  /** Append one sample. */
  push(v: number): void {
    if (this.n === this.buf.length) {
      const next = new Float64Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.n++] = v;
  }

  /** Number of samples. */
  get length(): number {
    return this.n;
  }

  /** The p-th percentile (0..100), nearest-rank; NaN when empty. */
  percentiles(...ps: number[]): number[] {
    if (this.n === 0) return ps.map(() => NaN);
    const sorted = this.buf.slice(0, this.n).sort();
    return ps.map((p) => sorted[Math.min(this.n - 1, Math.max(0, Math.ceil((p / 100) * this.n) - 1))]!);
  }
}

/** Median of a list of numbers (NaN when empty). */
export function median(xs: readonly number[]): number {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Spread of rounds around their median: (max - min) / median, as a fraction. */
export function spread(xs: readonly number[]): number {
  const s = xs.filter((x) => Number.isFinite(x));
  if (s.length < 2) return 0;
  const m = median(s);
  return m === 0 ? 0 : (Math.max(...s) - Math.min(...s)) / m;
}
