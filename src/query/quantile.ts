// Percentiles, nearest-rank: the value at rank ⌈p·N/100⌉ of the sorted values (computed from p, not
// from p/100, whose rounding would move p7 of 100 values to rank 8). Exact by selection (no full
// sort), or approximate from intervals (sketch buckets of whole blocks) plus exact points (decoded
// edges). For the approximation the bracket is rigorous: counting an interval as soon as its lower
// edge is passed over-counts and at its upper edge under-counts, so the true percentile lies between
// the two answers; the estimate is their midpoint and the bound half their distance.

/** The 1-based nearest rank of percentile p (0..100) among n values. */
export function nearestRank(p: number, n: number): number {
  return Math.min(n, Math.max(1, Math.ceil((p * n) / 100)));
}

/** The k-th smallest (0-based) of `a[lo..hi]`, reordering `a` (Hoare's quickselect, median of three). */
function select(a: Float64Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (hi > lo) {
    if (hi - lo < 32) {
      // Insertion sort for the last few.
      for (let i = lo + 1; i <= hi; i++) {
        const v = a[i];
        let j = i - 1;
        while (j >= lo && a[j] > v) a[j + 1] = a[j--];
        a[j + 1] = v;
      }
      return a[k];
    }
    const mid = (lo + hi) >>> 1;
    const x = a[lo];
    const y = a[mid];
    const z = a[hi];
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i++] = a[j];
        a[j--] = t;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}

/** Nearest-rank percentile p (0..100) of `values` (reordered in place). NaN when empty. */
export function exactQuantile(values: Float64Array, p: number): number {
  if (values.length === 0) return NaN;
  return select(values, nearestRank(p, values.length) - 1);
}

/** Value intervals each holding `count` values (lo ≤ v ≤ hi). */
export interface Intervals {
  lo: Float64Array;
  hi: Float64Array;
  count: Float64Array;
}

const BINS = 4096;

/**
 * The smallest key k such that the counts of all keys ≤ k reach `rank` (keys with weights, plus
 * `points` with weight 1). Linear: a coarse histogram finds the bin where the rank is reached, and
 * only the keys in that bin are sorted.
 */
function firstReaching(keys: Float64Array, counts: Float64Array, points: Float64Array, rank: number): number {
  let lo = Infinity;
  let hi = -Infinity;
  for (const k of keys) {
    if (k < lo) lo = k;
    if (k > hi) hi = k;
  }
  for (const v of points) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!(hi > lo)) return lo;
  const scale = BINS / (hi - lo);
  const bin = (v: number) => Math.min(BINS - 1, Math.floor((v - lo) * scale));
  const weight = new Float64Array(BINS);
  for (let i = 0; i < keys.length; i++) weight[bin(keys[i])] += counts[i];
  for (const v of points) weight[bin(v)] += 1;
  let seen = 0;
  let b = 0;
  for (; b < BINS - 1 && seen + weight[b] < rank; b++) seen += weight[b];
  const inBin: [number, number][] = [];
  for (let i = 0; i < keys.length; i++) if (bin(keys[i]) === b) inBin.push([keys[i], counts[i]]);
  for (const v of points) if (bin(v) === b) inBin.push([v, 1]);
  inBin.sort((x, y) => x[0] - y[0]);
  for (const [key, count] of inBin) {
    seen += count;
    if (seen >= rank) return key;
  }
  return hi;
}

/** Approximate nearest-rank percentile p (0..100) from intervals and exact points. */
export function approxQuantile(intervals: Intervals, points: Float64Array, p: number): { value: number; bound: number } {
  const total = intervals.count.reduce((s, c) => s + c, 0) + points.length;
  if (total === 0) return { value: NaN, bound: 0 };
  const rank = nearestRank(p, total);
  const low = firstReaching(intervals.lo, intervals.count, points, rank);
  const high = firstReaching(intervals.hi, intervals.count, points, rank);
  return { value: (low + high) / 2, bound: (high - low) / 2 };
}
