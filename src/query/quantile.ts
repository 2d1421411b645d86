// Percentiles, nearest-rank: the value at rank ⌈p·N/100⌉ of the sorted values (computed from p, not
// from p/100, whose rounding would move p7 of 100 values to rank 8). Exact from all values, or
// approximate from intervals (sketch buckets of whole blocks) plus exact points (decoded edges). For
// the approximation the bracket is rigorous: counting an interval as soon as its lower edge is
// passed over-counts and at its upper edge under-counts, so the true percentile lies between the two
// answers; the estimate is their midpoint and the bound half their distance.

/** The 1-based nearest rank of percentile p (0..100) among n values. */
export function nearestRank(p: number, n: number): number {
  return Math.min(n, Math.max(1, Math.ceil((p * n) / 100)));
}

/** Nearest-rank percentile p (0..100) of `values` (sorted in place). NaN when empty. */
export function exactQuantile(values: Float64Array, p: number): number {
  if (values.length === 0) return NaN;
  values.sort();
  return values[nearestRank(p, values.length) - 1];
}

/** Value intervals each holding `count` values (lo ≤ v ≤ hi). */
export interface Intervals {
  lo: number[];
  hi: number[];
  count: number[];
}

export function emptyIntervals(): Intervals {
  return { lo: [], hi: [], count: [] };
}

function firstReaching(keys: number[], counts: number[], points: Float64Array, rank: number): number {
  const order = keys.map((_, i) => i).sort((a, b) => keys[a] - keys[b]);
  let seen = 0;
  let i = 0;
  let j = 0;
  while (i < order.length || j < points.length) {
    const takePoint = i >= order.length || (j < points.length && points[j] <= keys[order[i]]);
    const key = takePoint ? points[j] : keys[order[i]];
    seen += takePoint ? 1 : counts[order[i]];
    if (takePoint) j++;
    else i++;
    if (seen >= rank) return key;
  }
  return NaN;
}

/** Approximate nearest-rank percentile p (0..100) from intervals and exact points (`points` sorted in place). */
export function approxQuantile(intervals: Intervals, points: Float64Array, p: number): { value: number; bound: number } {
  const total = intervals.count.reduce((s, c) => s + c, 0) + points.length;
  if (total === 0) return { value: NaN, bound: 0 };
  points.sort();
  const rank = nearestRank(p, total);
  const low = firstReaching(intervals.lo, intervals.count, points, rank);
  const high = firstReaching(intervals.hi, intervals.count, points, rank);
  return { value: (low + high) / 2, bound: (high - low) / 2 };
}
