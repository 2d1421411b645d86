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

/** The value at which the sorted (key, weight) pairs, starting from `seen`, reach `rank`. */
function walk(pairs: [number, number][], seen: number, rank: number, fallback: number): number {
  pairs.sort((x, y) => x[0] - y[0]);
  for (const [key, count] of pairs) {
    seen += count;
    if (seen >= rank) return key;
  }
  return fallback;
}

/**
 * Approximate nearest-rank percentile p (0..100) from block sketches and exact points. Keys are the
 * buckets' lower edges (for the low answer) and upper edges (for the high one), weighted by their
 * counts, and the points weighted 1; the answer is the smallest key at which the weights reach the
 * rank. Linear: one pass fills a coarse histogram of each kind of key over [lo, hi] and finds the bin
 * where the rank is reached; a second pass sorts only the keys in those two bins. Bucket edges are
 * widened by a rounding slack, so every value the encoder put in a bucket lies within its edges.
 */
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
  if (!(hi > lo)) return { value: lo, bound: 0 };
  const rank = nearestRank(p, total);
  const scale = BINS / (hi - lo);
  const bin = (v: number) => Math.min(BINS - 1, Math.max(0, Math.floor((v - lo) * scale)));
  const lowWeights = new Float64Array(BINS);
  const highWeights = new Float64Array(BINS);
  for (const { lo: a, hi: b, counts } of sketches) {
    const buckets = counts.length;
    const width = (b - a) / buckets;
    const slack = (Math.abs(a) + Math.abs(b)) * 1e-15 + width * 1e-9;
    for (let k = 0; k < buckets; k++) {
      const count = counts[k];
      if (count === 0) continue;
      lowWeights[bin(k === 0 ? a : Math.max(a, a + k * width - slack))] += count;
      highWeights[bin(k === buckets - 1 ? b : Math.min(b, a + (k + 1) * width + slack))] += count;
    }
  }
  for (const v of points) {
    lowWeights[bin(v)] += 1;
    highWeights[bin(v)] += 1;
  }
  let lowSeen = 0;
  let lowBin = 0;
  for (; lowBin < BINS - 1 && lowSeen + lowWeights[lowBin] < rank; lowBin++) lowSeen += lowWeights[lowBin];
  let highSeen = 0;
  let highBin = 0;
  for (; highBin < BINS - 1 && highSeen + highWeights[highBin] < rank; highBin++) highSeen += highWeights[highBin];
  const lows: [number, number][] = [];
  const highs: [number, number][] = [];
  for (const { lo: a, hi: b, counts } of sketches) {
    const buckets = counts.length;
    const width = (b - a) / buckets;
    const slack = (Math.abs(a) + Math.abs(b)) * 1e-15 + width * 1e-9;
    for (let k = 0; k < buckets; k++) {
      const count = counts[k];
      if (count === 0) continue;
      const low = k === 0 ? a : Math.max(a, a + k * width - slack);
      const high = k === buckets - 1 ? b : Math.min(b, a + (k + 1) * width + slack);
      if (bin(low) === lowBin) lows.push([low, count]);
      if (bin(high) === highBin) highs.push([high, count]);
    }
  }
  for (const v of points) {
    if (bin(v) === lowBin) lows.push([v, 1]);
    if (bin(v) === highBin) highs.push([v, 1]);
  }
  const low = walk(lows, lowSeen, rank, hi);
  const high = walk(highs, highSeen, rank, hi);
  return { value: (low + high) / 2, bound: (high - low) / 2 };
}
