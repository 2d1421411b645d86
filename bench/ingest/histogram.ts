// Ack latencies as a log-bucketed histogram (buckets 2 % wide from 1 µs): each load generator keeps
// one, ships it to the bench as a sparse {bucket: count} object, and the bench merges them before
// taking percentiles. Percentiles are exact to ±1 %, whatever the number of frames.

const GROWTH = Math.log(1.02);
/** Lowest latency a bucket tells apart (ms); anything faster lands in bucket 0. */
const FLOOR_MS = 0.001;

/** A sparse histogram as it crosses the process boundary: bucket index → count. */
export type HistogramData = Record<string, number>;

export class LatencyHistogram {
  readonly #counts = new Map<number, number>();
  #n = 0;
  #max = 0;

  /** Records one latency in milliseconds. */
  record(ms: number): void {
    const b = ms <= FLOOR_MS ? 0 : Math.floor(Math.log(ms / FLOOR_MS) / GROWTH);
    this.#counts.set(b, (this.#counts.get(b) ?? 0) + 1);
    this.#n++;
    if (ms > this.#max) this.#max = ms;
  }

  get count(): number {
    return this.#n;
  }

  get max(): number {
    return this.#max;
  }

  /** Adds another generator's histogram. */
  merge(data: HistogramData, max: number): void {
    for (const [k, v] of Object.entries(data)) {
      const b = Number(k);
      this.#counts.set(b, (this.#counts.get(b) ?? 0) + v);
      this.#n += v;
    }
    if (max > this.#max) this.#max = max;
  }

  toJSON(): HistogramData {
    return Object.fromEntries(this.#counts);
  }

  /** The latency (ms) below which a fraction `q` of the samples fall: the bucket's geometric middle. */
  quantile(q: number): number | null {
    if (this.#n === 0) return null;
    const rank = Math.ceil(q * this.#n);
    let seen = 0;
    for (const b of [...this.#counts.keys()].sort((x, y) => x - y)) {
      seen += this.#counts.get(b)!;
      if (seen >= rank) return Math.min(this.#max, FLOOR_MS * Math.exp((b + 0.5) * GROWTH));
    }
    return this.#max;
  }
}
