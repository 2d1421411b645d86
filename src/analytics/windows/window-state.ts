// A fired window's aggregate state as the kernel emits it: mergeable (count, sum, extremes, Welford mean
// and M2, first and last by timestamp, a 32-bin sketch on a power-of-two grid), and the aggregates a
// user asks for, computed from it.

/** One fired window of one series (or a merged group). */
export interface WindowState {
  /** Window start (inclusive) and end (exclusive), µs. */
  start: number;
  end: number;
  /** Fired again after a late reading (within the allowed lateness) changed it. */
  update: boolean;
  count: number;
  sum: number;
  min: number;
  max: number;
  mean: number;
  m2: number;
  firstTs: number;
  first: number;
  lastTs: number;
  last: number;
  /** Sketch: bin i holds values in [(base + i) / scale, (base + i + 1) / scale). */
  scale: number;
  base: number;
  bins: Uint32Array;
}

/** The aggregates a window can report; `pNN` (p0 … p100, decimals allowed) is a percentile from the sketch. */
export type WindowAggregate = "count" | "sum" | "min" | "max" | "mean" | "stddev" | "variance" | "first" | "last" | "rate" | `p${number}`;

const NAMED = ["count", "sum", "min", "max", "mean", "stddev", "variance", "first", "last", "rate"];

/** Whether `name` is an aggregate windows report. */
export function isWindowAggregate(name: string): name is WindowAggregate {
  if (NAMED.includes(name)) return true;
  const m = /^p(\d{1,3}(\.\d+)?)$/.exec(name);
  return m !== null && Number(m[1]) <= 100;
}

/** Whether `name` is a percentile (read from the sketch). */
export function isPercentile(name: string): boolean {
  return name.startsWith("p");
}

/** A record's f64 fields after its series slot, in the kernel's order (assembly/windows/workspace.ts). */
const FIELDS = ["start", "end", "update", "count", "sum", "min", "max", "mean", "m2", "firstTs", "first", "lastTs", "last", "scale", "base"] as const;

/** @internal Reads record `index` (RECORD_BYTES each) of a copy of the kernel's results region (bins are a view into it); returns its series slot too. */
export function readRecord(f64: Float64Array, u32: Uint32Array, recordBytes: number, index: number): { slot: number; state: WindowState } {
  const at = (index * recordBytes) / 8;
  // One literal in FIELDS order (a window per series per slide passes here: objects of one shape are
  // several times cheaper to make than ones filled key by key).
  const state: WindowState = {
    start: f64[at + 1],
    end: f64[at + 2],
    update: f64[at + 3] !== 0,
    count: f64[at + 4],
    sum: f64[at + 5],
    min: f64[at + 6],
    max: f64[at + 7],
    mean: f64[at + 8],
    m2: f64[at + 9],
    firstTs: f64[at + 10],
    first: f64[at + 11],
    lastTs: f64[at + 12],
    last: f64[at + 13],
    scale: f64[at + 14],
    base: f64[at + 15],
    bins: u32.subarray((index * recordBytes + 128) / 4, (index * recordBytes + 256) / 4),
  };
  return { slot: f64[at], state };
}

/** @internal Writes a state as record `index` of the results region (for merging in the kernel). */
export function writeRecord(f64: Float64Array, u32: Uint32Array, recordBytes: number, index: number, s: WindowState): void {
  const at = (index * recordBytes) / 8;
  f64[at] = 0;
  FIELDS.forEach((f, i) => (f64[at + 1 + i] = Number(s[f])));
  u32.set(s.bins, (index * recordBytes + 128) / 4);
}

/** The value at quantile q (0 … 1) from the sketch, within one bin width (1 / scale) of the exact one. */
export function quantile(s: WindowState, q: number): number {
  if (s.count === 0) return NaN;
  if (q <= 0) return s.min;
  if (q >= 1) return s.max;
  const target = q * s.count;
  let seen = 0;
  for (let i = 0; i < s.bins.length; i++) {
    const c = s.bins[i];
    if (c === 0) continue;
    if (seen + c >= target) {
      const v = (s.base + i + (target - seen) / c) / s.scale;
      return Math.min(s.max, Math.max(s.min, v));
    }
    seen += c;
  }
  return s.max;
}

/** One aggregate of a window. */
export function aggregate(s: WindowState, name: WindowAggregate): number {
  switch (name) {
    case "count": return s.count;
    case "sum": return s.sum;
    case "min": return s.min;
    case "max": return s.max;
    case "mean": return s.mean;
    case "variance": return s.count > 0 ? Math.max(0, s.m2 / s.count) : NaN;
    case "stddev": return s.count > 0 ? Math.sqrt(Math.max(0, s.m2 / s.count)) : NaN;
    case "first": return s.first;
    case "last": return s.last;
    // Change per second between the window's first and last reading (0 for a single reading).
    case "rate": return s.lastTs > s.firstTs ? ((s.last - s.first) * 1e6) / (s.lastTs - s.firstTs) : 0;
    default: return quantile(s, Number(name.slice(1)) / 100);
  }
}
