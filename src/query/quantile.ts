// Percentiles, nearest-rank: the value at rank ⌈p·N/100⌉ of the sorted values (computed from p, not
// from p/100, whose rounding would move p7 of 100 values to rank 8). Exact by selection (no full
// sort), or approximate from the sketches of whole blocks (each bucket an interval of values) plus
// exact points (decoded edges). For the approximation the bracket is rigorous: counting an interval as soon as its lower
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

/** A block's sketch in the query's unit: equal-width buckets over [lo, hi] with their counts. */
export interface Sketch {
  lo: number;
  hi: number;
  counts: Uint32Array;
}

const BINS = 4096;

/**
 * Calls `visit(edge, count)` for every non-empty bucket of every sketch, with the bucket's lower or
 * upper edge (widened by a rounding slack, so every value the encoder put in the bucket lies within).
 */
function forEachEdge(sketches: readonly Sketch[], upper: boolean, visit: (edge: number, count: number) => void): void {
  for (const { lo, hi, counts } of sketches) {
    const buckets = counts.length;
    const width = (hi - lo) / buckets;
    const slack = (Math.abs(lo) + Math.abs(hi)) * 1e-15 + width * 1e-9;
    for (let k = 0; k < buckets; k++) {
      const count = counts[k];
      if (count === 0) continue;
      if (upper) visit(k === buckets - 1 ? hi : Math.min(hi, lo + (k + 1) * width + slack), count);
      else visit(k === 0 ? lo : Math.max(lo, lo + k * width - slack), count);
    }
  }
}

/**
 * The smallest key such that the weights of all keys ≤ it reach `rank`: keys are the sketches' lower
 * (or upper) bucket edges weighted by their counts, and `points` weighted 1. Linear: a coarse
 * histogram over [lo, hi] finds the bin where the rank is reached; only the keys in that bin are sorted.
 */
function firstReaching(sketches: readonly Sketch[], upper: boolean, points: Float64Array, rank: number, lo: number, hi: number): number {
  if (!(hi > lo)) return lo;
  const scale = BINS / (hi - lo);
  const bin = (v: number) => Math.min(BINS - 1, Math.max(0, Math.floor((v - lo) * scale)));
  const weight = new Float64Array(BINS);
  forEachEdge(sketches, upper, (edge, count) => (weight[bin(edge)] += count));
  for (const v of points) weight[bin(v)] += 1;
  let seen = 0;
  let b = 0;
  for (; b < BINS - 1 && seen + weight[b] < rank; b++) seen += weight[b];
  const inBin: [number, number][] = [];
  forEachEdge(sketches, upper, (edge, count) => {
    if (bin(edge) === b) inBin.push([edge, count]);
  });
  for (const v of points) if (bin(v) === b) inBin.push([v, 1]);
  inBin.sort((x, y) => x[0] - y[0]);
  for (const [key, count] of inBin) {
    seen += count;
    if (seen >= rank) return key;
  }
  return hi;
}

/** Approximate nearest-rank percentile p (0..100) from block sketches and exact points. */
export function approxQuantile(sketches: readonly Sketch[], points: Float64Array, p: number): { value: number; bound: number } {
  let total = points.length;
  let lo = Infinity;
  let hi = -Infinity;
  for (const sk of sketches) {
    for (const c of sk.counts) total += c;
    if (sk.lo < lo) lo = sk.lo;
    if (sk.hi > hi) hi = sk.hi;
  }
  for (const v of points) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (total === 0) return { value: NaN, bound: 0 };
  const rank = nearestRank(p, total);
  const low = firstReaching(sketches, false, points, rank, lo, hi);
  const high = firstReaching(sketches, true, points, rank, lo, hi);
  return { value: (low + high) / 2, bound: (high - low) / 2 };
}
