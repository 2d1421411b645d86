// summary() reads a block's header: counts, time range, first and last value, min, max, sum, M2 and the
// sketch. Each must agree with a plain computation over the points the block decodes to.
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { createCodec, type BlockSketch, type BlockSummary, type EncodeOptions } from "../../src/codec/index.js";
import { bitsOfDouble, wordsOf } from "../support/bits.js";
import { headerLength } from "../support/block-layout.js";
import { bigintTimestamps, floatTimestamps, valueSeries } from "../support/arbitraries.js";

const codec = await createCodec();
const EPS = Number.EPSILON;
const BUCKETS = 32;

/** Sum of doubles rounded once (Shewchuk's partials, as Python's math.fsum). */
function exactSum(xs: number[]): number {
  const partials: number[] = [];
  for (let x of xs) {
    let k = 0;
    for (let y of partials) {
      if (Math.abs(x) < Math.abs(y)) [x, y] = [y, x];
      const hi = x + y;
      const lo = y - (hi - x);
      if (lo !== 0) partials[k++] = lo;
      x = hi;
    }
    partials.length = k;
    partials.push(x);
  }
  let n = partials.length;
  if (n === 0) return 0;
  let hi = partials[--n];
  let lo = 0;
  while (n > 0) {
    const x = hi;
    const y = partials[--n];
    hi = x + y;
    lo = y - (hi - x);
    if (lo !== 0) break;
  }
  // Round half to even across the remaining partials, as fsum does.
  if (n > 0 && ((lo < 0 && partials[n - 1] < 0) || (lo > 0 && partials[n - 1] > 0))) {
    const y = lo * 2;
    const x = hi + y;
    if (y === x - hi) hi = x;
  }
  return hi;
}

function sameNumber(a: number, b: number): boolean {
  return a === b || (Number.isNaN(a) && Number.isNaN(b));
}

/** The finite values of a series, read from its decoded points. */
function finiteOf(values: Float64Array): number[] {
  return Array.from(values).filter(Number.isFinite);
}

/**
 * Where the sketch disagrees with bucketing each finite value as docs/format/block.md says,
 * floor((x/2 − min/2) · B / (max/2 − min/2)) clamped to [0, B − 1]. A value within rounding of a bucket
 * edge may land on either side, so the sketch's running totals must lie between those of putting every
 * such value low and putting it high.
 */
function sketchDisagreement(finite: number[], sketch: BlockSketch): string | undefined {
  const { min, max, counts } = sketch;
  const b = counts.length;
  const half = max / 2 - min / 2;
  const low = new Array<number>(b).fill(0);
  const high = new Array<number>(b).fill(0);
  const clamp = (k: number) => Math.min(b - 1, Math.max(0, k));
  for (const x of finite) {
    // Divided before multiplying so the full double range cannot overflow; exact alike for B = 32.
    const pos = half > 0 ? ((x / 2 - min / 2) / half) * b : 0;
    low[clamp(Math.floor(pos - 1e-9))]++;
    high[clamp(Math.floor(pos + 1e-9))]++;
  }
  let atMost = 0;
  let atLeast = 0;
  let seen = 0;
  for (let k = 0; k < b; k++) {
    atMost += low[k];
    atLeast += high[k];
    seen += counts[k];
    if (seen < atLeast || seen > atMost) {
      return `buckets 0..${k} hold ${seen} values, expected ${atLeast}..${atMost}; sketch [${Array.from(counts)}], plain [${low}]`;
    }
  }
  return undefined;
}

/** Checks every field of `s` against the points; the sketch only when the range is not vanishingly small. */
function expectAgrees(s: BlockSummary, block: Uint8Array, timestamps: Float64Array | BigInt64Array, values: Float64Array): void {
  const n = values.length;
  const ts = Array.from(timestamps as ArrayLike<number | bigint>, Number);
  const finite = finiteOf(values);
  expect(s.count).toBe(n);
  expect(s.finiteCount).toBe(finite.length);
  expect(s.tFirst).toBe(ts[0]);
  expect(s.tLast).toBe(ts[n - 1]);
  expect(s.tMin).toBe(ts.reduce((a, b) => Math.min(a, b)));
  expect(s.tMax).toBe(ts.reduce((a, b) => Math.max(a, b)));
  expect(bitsOfDouble(s.first), "first").toBe(wordsOf(values)[0]);
  expect(bitsOfDouble(s.last), "last").toBe(wordsOf(values)[n - 1]);

  const min = finite.length === 0 ? NaN : finite.reduce((a, b) => Math.min(a, b));
  const max = finite.length === 0 ? NaN : finite.reduce((a, b) => Math.max(a, b));
  expect(sameNumber(s.min, min), `min ${s.min}, expected ${min}`).toBe(true);
  expect(sameNumber(s.max, max), `max ${s.max}, expected ${max}`).toBe(true);

  // Neumaier's bound: 2ε|S| + O(nε²)Σ|x|, with room for the final combination of two SIMD lanes.
  const sum = exactSum(finite);
  const sumAbs = exactSum(finite.map(Math.abs));
  const sumTolerance = EPS * (8 * Math.abs(sum) + 4 * n * EPS * sumAbs) + Number.MIN_VALUE;
  expect(Math.abs(s.sum - sum), `sum ${s.sum}, expected ${sum}`).toBeLessThanOrEqual(sumTolerance);

  // M2 is a plain sum of n non-negative squares around a mean that is itself off by a few ulps.
  const mean = finite.length === 0 ? 0 : sum / finite.length;
  const m2 = exactSum(finite.map((x) => (x - mean) ** 2));
  const maxAbs = finite.reduce((a, x) => Math.max(a, Math.abs(x)), 0);
  const m2Tolerance = (2 * n + 8) * EPS * m2 + n * (8 * EPS * maxAbs) ** 2 + Number.MIN_VALUE;
  expect(Math.abs(s.m2 - m2), `m2 ${s.m2}, expected ${m2}`).toBeLessThanOrEqual(m2Tolerance);

  if (n < 128) {
    expect(s.sketch).toBeNull();
  } else {
    expect(s.sketch).not.toBeNull();
    const sketch = s.sketch!;
    expect(sketch.counts.length).toBe(BUCKETS);
    expect(sketch.counts.reduce((a, b) => a + b, 0)).toBe(finite.length);
    expect(sameNumber(sketch.min, min) && sameNumber(sketch.max, max)).toBe(true);
    // Ranges under ~1e-300 have their own test below (they overflow B / range).
    if (!(max - min > 0 && max - min < 1e-300)) expect(sketchDisagreement(finite, sketch)).toBeUndefined();
  }

  expect(s.bytes).toBe(block.length);
  expect(headerLength(block) + s.timestampBytes + s.valueBytes).toBe(block.length);
}

function summarise(timestamps: Float64Array | BigInt64Array, values: Float64Array, options: EncodeOptions = {}) {
  const block = codec.encode(timestamps, values, options);
  const decoded = codec.decode(block, { timestamps: "bigint64" });
  return { block, summary: codec.summary(block), decoded };
}

/** Scales finite values beyond 2^500 down by 2^1000 (exactly), so sums and squares stay finite. */
function tame(values: Float64Array): Float64Array {
  return values.map((x) => (Number.isFinite(x) && Math.abs(x) > 2 ** 500 ? x * 2 ** -1000 : x));
}

const sizes = fc.oneof(fc.integer({ min: 1, max: 300 }), fc.constantFrom(1, 2, 127, 128, 129, 1024, 4096));
const VALUE_CODECS = ["plain", "decimal", "xor", "runs"] as const;

describe("summary()", () => {
  it("agrees with a plain computation over the decoded points", () => {
    const series = sizes.chain((n) => fc.tuple(floatTimestamps(n), valueSeries(n).map(tame)));
    fc.assert(
      fc.property(series, fc.constantFrom("auto", ...VALUE_CODECS), ([timestamps, values], v) => {
        const { block, summary, decoded } = summarise(timestamps, values, { values: v });
        expectAgrees(summary, block, decoded.timestamps, decoded.values);
        expectAgrees(summary, block, timestamps, values);
      }),
      { numRuns: 400 },
    );
  });

  it("reports BigInt64 time ranges as the nearest doubles", () => {
    const series = sizes.chain((n) => fc.tuple(bigintTimestamps(n), valueSeries(n).map(tame)));
    fc.assert(
      fc.property(series, ([timestamps, values]) => {
        const { block, summary } = summarise(timestamps, values);
        expectAgrees(summary, block, timestamps, values);
      }),
      { numRuns: 200 },
    );
  });

  it("names the value codec the block was written with", () => {
    const values = Float64Array.from({ length: 200 }, (_, i) => 20 + (i % 7) / 10);
    const timestamps = Float64Array.from(values, (_, i) => i * 1000);
    for (const v of VALUE_CODECS) expect(summarise(timestamps, values, { values: v }).summary.valueCodec).toBe(v);
    expect(VALUE_CODECS).toContain(summarise(timestamps, values).summary.valueCodec);
  });

  it("reads the same summary from the header alone, given the block's length", () => {
    const values = Float64Array.from({ length: 500 }, (_, i) => Math.sin(i));
    const { block, summary } = summarise(Float64Array.from(values, (_, i) => i), values);
    const header = block.slice(0, headerLength(block));
    expect(codec.summary(header, block.length)).toEqual(summary);
  });

  it("reports min and max as NaN, sums as 0 and an empty sketch for blocks without a finite value", () => {
    for (const n of [1, 2, 127, 128, 1000]) {
      const values = new Float64Array(n);
      const words = wordsOf(values);
      const patterns = [0x7ff8000000000000n, 0xfff0000000000000n, 0x7ff0000000000001n, 0x7ff0000000000000n, 0xfff8000000000dadn];
      for (let i = 0; i < n; i++) words[i] = patterns[i % patterns.length];
      const { block, summary } = summarise(Float64Array.from(values, (_, i) => i), values);
      expect(summary.finiteCount).toBe(0);
      expect(summary.min).toBeNaN();
      expect(summary.max).toBeNaN();
      expect(summary.sum).toBe(0);
      expect(summary.m2).toBe(0);
      if (n >= 128) expect(Array.from(summary.sketch!.counts)).toEqual(new Array(BUCKETS).fill(0));
      expectAgrees(summary, block, Float64Array.from(values, (_, i) => i), values);
    }
  });

  it("leaves ±∞ and NaN out of min, max, sum, M2 and the sketch", () => {
    const values = Float64Array.from({ length: 256 }, (_, i) => (i % 3 === 0 ? Infinity : i % 3 === 1 ? -Infinity : i % 5 === 0 ? NaN : i));
    const { block, summary } = summarise(Float64Array.from(values, (_, i) => i), values);
    expectAgrees(summary, block, Float64Array.from(values, (_, i) => i), values);
    expect(summary.max).toBeLessThan(256);
  });

  it("buckets the full double range without overflowing", () => {
    // From −1.7e308 to 1.7e308: max − min itself would overflow, which is why the format halves first.
    const values = Float64Array.from({ length: 256 }, (_, i) => 1.7e308 * ((2 * i) / 255 - 1));
    expect(values.every(Number.isFinite)).toBe(true);
    const { summary } = summarise(Float64Array.from(values, (_, i) => i), values);
    expect(sketchDisagreement(finiteOf(values), summary.sketch!)).toBeUndefined();
    expect(summary.sketch!.counts[0]).toBeGreaterThan(0);
    expect(summary.sketch!.counts[BUCKETS - 1]).toBeGreaterThan(0);
  });

  it("buckets values spread over a range narrower than 1e-300 as the format describes", () => {
    // 128 points evenly over [0, 1.27e-308]: four per bucket by the documented formula.
    const values = Float64Array.from({ length: 128 }, (_, i) => i * 1e-310);
    const { summary } = summarise(Float64Array.from(values, (_, i) => i), values);
    expect(sketchDisagreement(finiteOf(values), summary.sketch!)).toBeUndefined();
  });

  it("reports a sum that overflows the double range as +Infinity, not NaN", () => {
    const values = new Float64Array([1.7e308, 1.7e308, 1.7e308, 1.7e308]);
    const { summary } = summarise(Float64Array.from(values, (_, i) => i), values);
    expect(summary.sum).toBe(Infinity);
  });
});
