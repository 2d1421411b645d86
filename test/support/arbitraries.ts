// fast-check arbitraries for the series a block must survive: doubles of every bit class, sensor-like
// decimals, stuck runs and NaN gaps for values; regular, jittered, repeated, backwards and jumping clocks
// for timestamps. A series is a short recipe (shrinkable) expanded to any length with a seeded generator,
// so a 65 536-point block costs milliseconds to generate, not a 65 536-element fast-check array.
import fc from "fast-check";
import { bitsOfDouble, wordsOf } from "./bits.js";

const TWO_53 = 2 ** 53;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** xorshift32: deterministic per seed, cheap enough for a million points. */
function generator(seed: number): () => number {
  let s = seed | 0 || 0x9e3779b9;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
}

/** Uniform in [0, 1). */
function unit(next: () => number): number {
  return next() / 2 ** 32;
}

const seed = fc.integer({ min: 1, max: 0x7fffffff });

/**
 * Any double as its 64-bit pattern, weighted toward the classes codecs get wrong: NaN payloads (quiet and
 * signalling, either sign), −0, ±∞, subnormals, the largest and smallest exponents.
 */
export const doubleBits: fc.Arbitrary<bigint> = fc.oneof(
  fc.double({ noNaN: false }).map(bitsOfDouble),
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  fc
    .record({
      sign: fc.boolean(),
      exponent: fc.oneof(fc.constantFrom(0, 1, 2, 1022, 1023, 1024, 1075, 2045, 2046, 2047), fc.integer({ min: 0, max: 2047 })),
      mantissa: fc.oneof(
        fc.constantFrom(0n, 1n, 2n, 2n ** 51n, 2n ** 51n + 1n, 2n ** 52n - 1n),
        fc.bigInt({ min: 0n, max: 2n ** 52n - 1n }),
      ),
    })
    .map(({ sign, exponent, mantissa }) => ((sign ? 1n : 0n) << 63n) | (BigInt(exponent) << 52n) | mantissa),
);

/** One stretch of a value series; segments repeat, in order, until the series is full. */
type ValueSegment =
  | { kind: "literal"; weight: number; bits: bigint[] }
  | { kind: "random"; weight: number; seed: number }
  | { kind: "decimal"; weight: number; seed: number; decimals: number; start: number; step: number }
  | { kind: "stuck"; weight: number; bits: bigint }
  | { kind: "nan"; weight: number; payload: bigint }
  | { kind: "walk"; weight: number; seed: number; start: number; scale: number }
  | { kind: "counter"; weight: number; seed: number; start: number };

const weight = fc.integer({ min: 1, max: 100 });

const valueSegment: fc.Arbitrary<ValueSegment> = fc.oneof(
  fc.record({ kind: fc.constant("literal" as const), weight, bits: fc.array(doubleBits, { minLength: 1, maxLength: 16 }) }),
  fc.record({ kind: fc.constant("random" as const), weight, seed }),
  fc.record({
    kind: fc.constant("decimal" as const),
    weight,
    seed,
    decimals: fc.integer({ min: 0, max: 8 }),
    start: fc.integer({ min: -1_000_000_000, max: 1_000_000_000 }),
    step: fc.constantFrom(0, 1, 3, 100, 10_000, 1_000_000_000),
  }),
  fc.record({ kind: fc.constant("stuck" as const), weight, bits: doubleBits }),
  fc.record({
    kind: fc.constant("nan" as const),
    weight,
    payload: fc.oneof(fc.constant(0x7ff8000000000000n), fc.bigInt({ min: 1n, max: 2n ** 52n - 1n }).map((m) => 0x7ff0000000000000n | m)),
  }),
  fc.record({
    kind: fc.constant("walk" as const),
    weight,
    seed,
    start: fc.double({ min: -1e6, max: 1e6, noNaN: true }),
    scale: fc.constantFrom(1e-300, 1e-9, 0.01, 1, 1e6, 1e300),
  }),
  fc.record({ kind: fc.constant("counter" as const), weight, seed, start: fc.integer({ min: 0, max: 2 ** 40 }) }),
);

/** Lengths proportional to the segments' weights, each at least 1 while points remain. */
function spans(weights: number[], n: number): number[] {
  const total = weights.reduce((a, b) => a + b, 0);
  return weights.map((w) => Math.max(1, Math.floor((w / total) * n)));
}

function fillValues(segments: ValueSegment[], n: number): Float64Array {
  const values = new Float64Array(n);
  const words = wordsOf(values);
  const lengths = spans(
    segments.map((s) => s.weight),
    n,
  );
  let i = 0;
  for (let s = 0; i < n; s = (s + 1) % segments.length) {
    const seg = segments[s];
    const end = Math.min(n, i + lengths[s]);
    switch (seg.kind) {
      case "literal":
        for (let k = 0; i < end; i++, k++) words[i] = seg.bits[k % seg.bits.length];
        break;
      case "random": {
        const next = generator(seg.seed);
        for (; i < end; i++) words[i] = (BigInt(next()) << 32n) | BigInt(next());
        break;
      }
      case "decimal": {
        // An integer random walk over 10^decimals: what a sensor printing fixed decimals produces.
        const next = generator(seg.seed);
        const scale = 10 ** seg.decimals;
        let m = seg.start;
        for (; i < end; i++) {
          values[i] = m / scale;
          m += Math.round((unit(next) - 0.5) * 2 * seg.step);
        }
        break;
      }
      case "stuck":
        for (; i < end; i++) words[i] = seg.bits;
        break;
      case "nan":
        for (; i < end; i++) words[i] = seg.payload;
        break;
      case "walk": {
        const next = generator(seg.seed);
        let x = seg.start;
        for (; i < end; i++) {
          values[i] = x;
          x += (unit(next) - 0.5) * seg.scale;
        }
        break;
      }
      case "counter": {
        const next = generator(seg.seed);
        let x = seg.start;
        for (; i < end; i++) {
          values[i] = x;
          x += next() % 1000;
        }
        break;
      }
    }
  }
  return values;
}

/** Values of an n-point series: any mix of the segment kinds above. */
export function valueSeries(n: number): fc.Arbitrary<Float64Array> {
  return fc.array(valueSegment, { minLength: 1, maxLength: 6 }).map((segments) => fillValues(segments, n));
}

/** Values made only of raw bit patterns: every double class, no structure for a codec to lean on. */
export function bitPatternSeries(n: number): fc.Arbitrary<Float64Array> {
  const literal = fc.array(doubleBits, { minLength: 1, maxLength: 64 });
  return fc.tuple(literal, seed).map(([bits, s]) => {
    const values = new Float64Array(n);
    const words = wordsOf(values);
    const next = generator(s);
    // The literal prefix carries the adversarial patterns; random 64-bit words fill the rest.
    for (let i = 0; i < n; i++) words[i] = i < bits.length ? bits[i] : (BigInt(next()) << 32n) | BigInt(next());
    return values;
  });
}

/** The shape of a clock: a start, a step, and how often it jitters, repeats, goes back or jumps. */
interface ClockRecipe {
  seed: number;
  step: number;
  jitter: number;
  duplicates: number;
  backwards: number;
  gaps: number;
  gap: number;
  random: boolean;
}

const clockRecipe: fc.Arbitrary<ClockRecipe> = fc.record({
  seed,
  step: fc.oneof(fc.constantFrom(0, 1, 1000, 1_000_000, 300_000_000, 2 ** 40), fc.integer({ min: -1_000_000, max: 1_000_000_000 })),
  jitter: fc.constantFrom(0, 0, 1, 10, 1000, 250_000),
  duplicates: fc.constantFrom(0, 0, 0.01, 0.3),
  backwards: fc.constantFrom(0, 0, 0.01, 0.3),
  gaps: fc.constantFrom(0, 0, 0.001, 0.05),
  gap: fc.constantFrom(3_600_000_000, 2 ** 45, 2 ** 52),
  random: fc.constantFrom(false, false, false, true),
});

/** How far the next timestamp moves: step, jitter, repeats, steps back, jumps. */
function advance(r: ClockRecipe, next: () => number): number {
  const u = unit(next);
  if (u < r.duplicates) return 0;
  const jitter = r.jitter === 0 ? 0 : Math.round((unit(next) - 0.5) * 2 * r.jitter);
  if (u < r.duplicates + r.backwards) return -(Math.abs(r.step) + Math.abs(jitter) + 1);
  if (u < r.duplicates + r.backwards + r.gaps) return r.gap;
  return r.step + jitter;
}

/** Integral µs timestamps within ±2^53 (what a Float64Array holds exactly), n points. */
export function floatTimestamps(n: number): fc.Arbitrary<Float64Array> {
  const start = fc.oneof(
    fc.constantFrom(0, 1_700_000_000_000_000, -TWO_53, TWO_53, TWO_53 - 1, -(TWO_53 - 1)),
    fc.integer({ min: -1_000_000_000, max: 1_000_000_000 }).map((k) => k * 1_000_000),
    fc.maxSafeInteger(),
  );
  return fc.tuple(start, clockRecipe).map(([t0, r]) => {
    const ts = new Float64Array(n);
    const next = generator(r.seed);
    let t = t0;
    for (let i = 0; i < n; i++) {
      if (r.random) t = Math.floor((unit(next) * 2 - 1) * TWO_53);
      ts[i] = Math.min(TWO_53, Math.max(-TWO_53, t));
      t = ts[i] + advance(r, next);
    }
    return ts;
  });
}

/** µs timestamps anywhere in the int64 range, wrapping at its ends as the format's arithmetic does. */
export function bigintTimestamps(n: number): fc.Arbitrary<BigInt64Array> {
  const start = fc.oneof(fc.constantFrom(0n, INT64_MIN, INT64_MAX, INT64_MIN + 1n, INT64_MAX - 1n), fc.bigInt({ min: INT64_MIN, max: INT64_MAX }));
  const bigStep = fc.oneof(fc.constant(0n), fc.bigInt({ min: INT64_MIN, max: INT64_MAX }));
  return fc.tuple(start, bigStep, clockRecipe).map(([t0, big, r]) => {
    const ts = new BigInt64Array(n);
    const next = generator(r.seed);
    let t = t0;
    for (let i = 0; i < n; i++) {
      if (r.random) t = BigInt.asIntN(64, (BigInt(next()) << 32n) | BigInt(next()));
      ts[i] = t;
      t = BigInt.asIntN(64, t + big + BigInt(advance(r, next)));
    }
    return ts;
  });
}
