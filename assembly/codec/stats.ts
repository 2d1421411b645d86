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

export function valueStats(vals: usize, n: i32, withSketch: bool): void {
  vFirst = load<f64>(vals);
  vLast = load<f64>(vals + (<usize>(n - 1) << 3));
  let lo: f64 = Infinity;
  let hi: f64 = -Infinity;
  let sum: f64 = 0;
  let carry: f64 = 0;
  let count = 0;
  let changes = 1;
  let prev = load<u64>(vals);
  for (let i = 0; i < n; i++) {
    const bits = load<u64>(vals + (<usize>i << 3));
    if (bits != prev) changes++;
    prev = bits;
    if (!isFinite64(bits)) continue;
    const x = reinterpret<f64>(bits);
    count++;
    lo = min(lo, x);
    hi = max(hi, x);
    const t = sum + x;
    carry += abs(sum) >= abs(x) ? sum - t + x : x - t + sum;
    sum = t;
  }
  runs = changes;
  finite = count;
  memory.fill(sketch, 0, SKETCH_BUCKETS * 4);
  if (count == 0) {
    vMin = NaN;
    vMax = NaN;
    vSum = 0;
    vM2 = 0;
    return;
  }
  vMin = lo;
  vMax = hi;
  vSum = sum + carry;
  const mean = vSum / <f64>count;
  // Halves keep the range finite when min and max are far apart.
  const halfRange = hi * 0.5 - lo * 0.5;
  const perBucket: f64 = halfRange > 0 ? <f64>SKETCH_BUCKETS / halfRange : 0;
  let m2: f64 = 0;
  for (let i = 0; i < n; i++) {
    const bits = load<u64>(vals + (<usize>i << 3));
    if (!isFinite64(bits)) continue;
    const x = reinterpret<f64>(bits);
    const d = x - mean;
    m2 += d * d;
    if (withSketch) {
      const b = min(<i32>((x * 0.5 - lo * 0.5) * perBucket), SKETCH_BUCKETS - 1);
      const slot = sketch + (<usize>max(b, 0) << 2);
      store<u32>(slot, load<u32>(slot) + 1);
    }
  }
  vM2 = m2;
}
