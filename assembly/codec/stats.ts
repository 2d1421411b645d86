// The block summary computed while encoding: what queries answer from the header without decoding.
// Value statistics cover finite values only (NaN and ±∞ are counted out); the sum is compensated
// (Neumaier) and the spread is M2 = Σ(x − mean)², from a second pass, so merging blocks stays stable.

export const SKETCH_BUCKETS: i32 = 32;
/** Blocks smaller than this carry no sketch: decoding them is as cheap as reading one. */
export const SKETCH_MIN_POINTS: i32 = 128;

export const sketch = memory.data(SKETCH_BUCKETS * 4, 16);

export let tFirst: i64 = 0;
export let tLast: i64 = 0;
export let tMin: i64 = 0;
export let tMax: i64 = 0;
export let vFirst: f64 = 0;
export let vLast: f64 = 0;
export let vMin: f64 = 0;
export let vMax: f64 = 0;
export let vSum: f64 = 0;
export let vM2: f64 = 0;
export let finite: i32 = 0;
export let runs: i32 = 0;

// @ts-ignore: decorator
@inline
function isFinite64(bits: u64): bool {
  return (bits & 0x7ff0000000000000) != 0x7ff0000000000000;
}

export function timestampStats(ts: usize, n: i32): void {
  tFirst = load<i64>(ts);
  tLast = load<i64>(ts + (<usize>(n - 1) << 3));
  let lo = tFirst;
  let hi = tFirst;
  for (let i = 1; i < n; i++) {
    const t = load<i64>(ts + (<usize>i << 3));
    lo = min(lo, t);
    hi = max(hi, t);
  }
  tMin = lo;
  tMax = hi;
}

const halves = memory.data(2 * SKETCH_BUCKETS * 4, 16);
const EXPONENT: u64 = 0x7ff0000000000000;

/** All-ones in each lane whose double is finite. */
// @ts-ignore: decorator
@inline
function finiteLanes(x: v128): v128 {
  const e = i64x2.splat(EXPONENT);
  return v128.not(i64x2.eq(v128.and(x, e), e));
}

/** Points 2k and 2k+1; an odd last point gets a NaN partner, which every statistic ignores. */
// @ts-ignore: decorator
@inline
function pairAt(p: usize, whole: bool): v128 {
  return whole ? v128.load(p) : f64x2.replace_lane(f64x2.splat(NaN), 0, load<f64>(p));
}

export function valueStats(vals: usize, n: i32, withSketch: bool): void {
  vFirst = load<f64>(vals);
  vLast = load<f64>(vals + (<usize>(n - 1) << 3));
  // Two lanes of Neumaier-compensated sums: non-finite points are masked to +0 (sum), ±∞ (min/max).
  const inf = f64x2.splat(Infinity);
  const ninf = f64x2.splat(-Infinity);
  let sum = f64x2.splat(0);
  let carry = f64x2.splat(0);
  let lo = inf;
  let hi = ninf;
  let count = i64x2.splat(0);
  let changes = i64x2.splat(0);
  const pairs = n >> 1;
  const steps = (n + 1) >> 1;
  for (let k = 0; k < steps; k++) {
    const p = vals + (<usize>k << 4);
    const x = pairAt(p, k < pairs);
    const fin = finiteLanes(x);
    const xs = v128.and(x, fin);
    lo = f64x2.pmin(lo, v128.bitselect(x, inf, fin));
    hi = f64x2.pmax(hi, v128.bitselect(x, ninf, fin));
    const t = f64x2.add(sum, xs);
    const big = f64x2.ge(f64x2.abs(sum), f64x2.abs(xs));
    carry = f64x2.add(carry, v128.bitselect(f64x2.add(f64x2.sub(sum, t), xs), f64x2.add(f64x2.sub(xs, t), sum), big));
    sum = t;
    count = i64x2.sub(count, fin);
    if (k > 0 && k < pairs) changes = i64x2.sub(changes, v128.not(i64x2.eq(x, v128.load(p - 8))));
  }
  // Changes between neighbours not compared above: (0,1), and the odd tail.
  let edges = 0;
  for (let i = 1; i < min(n, 2); i++) edges += <i32>(load<u64>(vals + (<usize>i << 3)) != load<u64>(vals + (<usize>(i - 1) << 3)));
  if (n & 1 && n > 1) edges += <i32>(load<u64>(vals + (<usize>(n - 1) << 3)) != load<u64>(vals + (<usize>(n - 2) << 3)));
  runs = 1 + edges + <i32>(i64x2.extract_lane(changes, 0) + i64x2.extract_lane(changes, 1));
  finite = <i32>(i64x2.extract_lane(count, 0) + i64x2.extract_lane(count, 1));
  memory.fill(sketch, 0, SKETCH_BUCKETS * 4);
  if (finite == 0) {
    vMin = NaN;
    vMax = NaN;
    vSum = 0;
    vM2 = 0;
    return;
  }
  const vlo = min(f64x2.extract_lane(lo, 0), f64x2.extract_lane(lo, 1));
  const vhi = max(f64x2.extract_lane(hi, 0), f64x2.extract_lane(hi, 1));
  vMin = vlo;
  vMax = vhi;
  vSum = f64x2.extract_lane(sum, 0) + f64x2.extract_lane(sum, 1) + (f64x2.extract_lane(carry, 0) + f64x2.extract_lane(carry, 1));
  // A lane that overflowed leaves ∞ − ∞ in the correction: sum again in a scaled range instead.
  if (!isFinite(vSum)) vSum = scaledSum(vals, n);
  const mean = vSum / <f64>finite;
  vM2 = spread(vals, n, mean, vlo, vhi, withSketch);
}

/** The sum of the finite values computed as 2^64 · Σ(x · 2^-64): right even when partial sums overflow. */
function scaledSum(vals: usize, n: i32): f64 {
  const down: f64 = 5.421010862427522e-20; // 2^-64
  let sum: f64 = 0;
  for (let i = 0; i < n; i++) {
    const bits = load<u64>(vals + (<usize>i << 3));
    if ((bits & EXPONENT) != EXPONENT) sum += reinterpret<f64>(bits) * down;
  }
  return sum * 18446744073709551616.0;
}

/** Second pass: Σ(x − mean)² over finite values, and the sketch when asked. */
function spread(vals: usize, n: i32, mean: f64, lo: f64, hi: f64, withSketch: bool): f64 {
  // Halves keep the range finite when min and max are far apart.
  const halfRange = hi * 0.5 - lo * 0.5;
  // Divide, then scale: B / halfRange would overflow for ranges under ~1e-307.
  const range = f64x2.splat(halfRange > 0 ? halfRange : Infinity);
  const buckets = f64x2.splat(<f64>SKETCH_BUCKETS);
  const loHalf = f64x2.splat(lo * 0.5);
  const half = f64x2.splat(0.5);
  const meanV = f64x2.splat(mean);
  const top = i32x4.splat(SKETCH_BUCKETS - 1);
  const zero = i32x4.splat(0);
  let m2 = f64x2.splat(0);
  // Two interleaved histograms (even and odd points), so equal buckets do not serialise on one counter.
  memory.fill(halves, 0, 2 * SKETCH_BUCKETS * 4);
  const odd = halves + SKETCH_BUCKETS * 4;
  const pairs = n >> 1;
  const steps = (n + 1) >> 1;
  for (let k = 0; k < steps; k++) {
    const p = vals + (<usize>k << 4);
    const x = pairAt(p, k < pairs);
    const fin = finiteLanes(x);
    const d = f64x2.sub(v128.bitselect(x, meanV, fin), meanV);
    m2 = f64x2.add(m2, f64x2.mul(d, d));
    if (withSketch) {
      const scaled = f64x2.mul(f64x2.div(f64x2.sub(f64x2.mul(x, half), loHalf), range), buckets);
      const b = i32x4.max_s(i32x4.min_s(i32x4.trunc_sat_f64x2_s_zero(scaled), top), zero);
      const s0 = halves + (<usize>i32x4.extract_lane(b, 0) << 2);
      const s1 = odd + (<usize>i32x4.extract_lane(b, 1) << 2);
      store<u32>(s0, load<u32>(s0) + (<u32>i64x2.extract_lane(fin, 0) & 1));
      store<u32>(s1, load<u32>(s1) + (<u32>i64x2.extract_lane(fin, 1) & 1));
    }
  }
  if (withSketch) {
    for (let k = 0; k < SKETCH_BUCKETS; k++) {
      const at = <usize>k << 2;
      store<u32>(sketch + at, load<u32>(halves + at) + load<u32>(odd + at));
    }
  }
  return f64x2.extract_lane(m2, 0) + f64x2.extract_lane(m2, 1);
}
