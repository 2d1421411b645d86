// A block gives back exactly what was encoded: every double bit for bit (NaN payloads, −0, subnormals),
// every timestamp within its type's range, under every value codec and timestamp mode the encoder can be
// forced into, at block sizes around the edges of one point and of the 128-point pfor frames.
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { createCodec, MAX_BLOCK_POINTS, type EncodeOptions } from "../../src/codec/index.js";
import { bitDifference, wordsOf } from "../support/bits.js";
import { codecErrorOf } from "../support/codec-errors.js";
import { bigintTimestamps, bitPatternSeries, floatTimestamps, valueSeries } from "../support/arbitraries.js";

const codec = await createCodec();

const VALUE_CODECS = ["auto", "plain", "decimal", "xor", "runs"] as const;
const TIMESTAMP_MODES = ["auto", "progression", "for", "delta", "dod", "frame-for"] as const;
const COMBINATIONS = VALUE_CODECS.flatMap((values) => TIMESTAMP_MODES.map((timestamps) => ({ values, timestamps })));

/** Block sizes and the property runs each can afford (every run encodes a series up to 25 times). */
const SIZES = [
  { n: 1, runs: 300 },
  { n: 2, runs: 300 },
  { n: 1023, runs: 100 },
  { n: 1024, runs: 100 },
  { n: 1025, runs: 100 },
  { n: 65_536, runs: 8 },
];

function expectRoundTrip(timestamps: Float64Array | BigInt64Array, values: Float64Array, options: EncodeOptions): void {
  const block = codec.encode(timestamps, values, options);
  const back =
    timestamps instanceof BigInt64Array ? codec.decode(block, { timestamps: "bigint64" }) : codec.decode(block);
  const where = JSON.stringify(options);
  expect(bitDifference(back.values, values), `values ${where}`).toBeUndefined();
  expect(bitDifference(back.timestamps, timestamps), `timestamps ${where}`).toBeUndefined();
}

describe.each(SIZES)("blocks of $n points", ({ n, runs }) => {
  it("round-trips any float64 bit pattern under every value codec", () => {
    fc.assert(
      fc.property(bitPatternSeries(n), floatTimestamps(n), (values, timestamps) => {
        for (const v of VALUE_CODECS) expectRoundTrip(timestamps, values, { values: v });
      }),
      { numRuns: runs },
    );
  });

  it("round-trips decimals, stuck runs, NaN gaps and random walks under every value codec", () => {
    fc.assert(
      fc.property(valueSeries(n), floatTimestamps(n), (values, timestamps) => {
        for (const v of VALUE_CODECS) expectRoundTrip(timestamps, values, { values: v });
      }),
      { numRuns: runs },
    );
  });

  it("round-trips regular, jittered, repeated, backwards and jumping Float64 clocks under every timestamp mode", () => {
    fc.assert(
      fc.property(floatTimestamps(n), valueSeries(n), (timestamps, values) => {
        for (const t of TIMESTAMP_MODES) expectRoundTrip(timestamps, values, { timestamps: t });
      }),
      { numRuns: runs },
    );
  });

  it("round-trips BigInt64 timestamps anywhere in the int64 range under every timestamp mode", () => {
    fc.assert(
      fc.property(bigintTimestamps(n), valueSeries(n), (timestamps, values) => {
        for (const t of TIMESTAMP_MODES) expectRoundTrip(timestamps, values, { timestamps: t });
      }),
      { numRuns: runs },
    );
  });

  it("round-trips under every pairing of value codec and timestamp mode", () => {
    const timestamps = fc.oneof(floatTimestamps(n), bigintTimestamps(n));
    const values = fc.oneof(valueSeries(n), bitPatternSeries(n));
    fc.assert(
      fc.property(timestamps, values, (ts, vs) => {
        for (const options of COMBINATIONS) expectRoundTrip(ts, vs, options);
      }),
      { numRuns: Math.max(2, Math.ceil(runs / 5)) },
    );
  });

  it("never stores values in more bytes than plain when it chooses the codec itself", () => {
    fc.assert(
      fc.property(fc.oneof(valueSeries(n), bitPatternSeries(n)), floatTimestamps(n), (values, timestamps) => {
        const summary = codec.summary(codec.encode(timestamps, values));
        expect(summary.valueBytes).toBeLessThanOrEqual(8 * n);
      }),
      { numRuns: runs },
    );
  });
});

describe("edge values", () => {
  /** One of each double class whose bits a careless codec loses. */
  const SPECIAL_BITS = [
    0x0000000000000000n, // +0
    0x8000000000000000n, // −0
    0x7ff8000000000000n, // the canonical quiet NaN
    0xfff8000000000000n, // negative quiet NaN
    0x7ff8000000000001n, // quiet NaN with a payload
    0x7ff0000000000001n, // signalling NaN
    0xfff7ffffffffffffn, // negative signalling NaN, widest payload
    0x7ff0000000000000n, // +∞
    0xfff0000000000000n, // −∞
    0x0000000000000001n, // smallest subnormal
    0x800fffffffffffffn, // largest negative subnormal
    0x0010000000000000n, // smallest normal
    0x7fefffffffffffffn, // largest finite
    0xffefffffffffffffn, // most negative finite
    0x3ff0000000000000n, // 1
    0x3ff0000000000001n, // 1 + ulp
  ];

  function specialValues(n: number): Float64Array {
    const values = new Float64Array(n);
    const words = wordsOf(values);
    for (let i = 0; i < n; i++) words[i] = SPECIAL_BITS[(i * 7) % SPECIAL_BITS.length];
    return values;
  }

  it("round-trips NaN payloads, −0 and subnormals bit for bit", () => {
    for (const n of [1, 2, SPECIAL_BITS.length, 127, 128, 1025]) {
      const values = specialValues(n);
      const timestamps = Float64Array.from({ length: n }, (_, i) => i * 1_000_000);
      for (const v of VALUE_CODECS) expectRoundTrip(timestamps, values, { values: v });
    }
    for (const bits of SPECIAL_BITS) {
      const one = new Float64Array(1);
      wordsOf(one)[0] = bits;
      for (const v of VALUE_CODECS) expectRoundTrip(new Float64Array([0]), one, { values: v });
    }
  });

  it("round-trips Float64 timestamps at ±2^53 and BigInt64 timestamps at the ends of int64", () => {
    const floats = new Float64Array([2 ** 53, -(2 ** 53), 0, 2 ** 53, -(2 ** 53) + 1, 2 ** 53 - 1]);
    const ints = new BigInt64Array([2n ** 63n - 1n, -(2n ** 63n), 0n, -(2n ** 63n), 2n ** 63n - 1n, -1n]);
    const values = new Float64Array(floats.length).fill(1.5);
    for (const t of TIMESTAMP_MODES) {
      expectRoundTrip(floats, values, { timestamps: t });
      expectRoundTrip(ints, values, { timestamps: t });
    }
  });

  it("round-trips a block of MAX_BLOCK_POINTS points", () => {
    const n = MAX_BLOCK_POINTS;
    const timestamps = Float64Array.from({ length: n }, (_, i) => 1_700_000_000_000_000 + i * 1000 + ((i * 7919) % 13));
    const values = Float64Array.from({ length: n }, (_, i) => (i % 9973 === 0 ? NaN : Math.round(Math.sin(i / 500) * 1e4) / 100));
    for (const v of ["auto", "xor"] as const) expectRoundTrip(timestamps, values, { values: v });
  });

  it("decodes any block's timestamps as BigInt64, and as Float64 when they fit", () => {
    fc.assert(
      fc.property(floatTimestamps(300), valueSeries(300), (timestamps, values) => {
        const block = codec.encode(timestamps, values);
        const wide = codec.decode(block, { timestamps: "bigint64" }).timestamps;
        expect(Array.from(wide, Number)).toEqual(Array.from(timestamps));
        const again = codec.encode(wide, values);
        expect(bitDifference(codec.decode(again).timestamps, timestamps)).toBeUndefined();
      }),
      { numRuns: 50 },
    );
  });

  it("decodes into caller-owned arrays exactly what decode returns", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2000 }).chain((n) => fc.tuple(floatTimestamps(n), valueSeries(n))), ([timestamps, values]) => {
        const block = codec.encode(timestamps, values);
        const n = values.length;
        const ts = new Float64Array(n + 3);
        const vs = new Float64Array(n + 3);
        expect(codec.decodeInto(block, ts, vs)).toBe(n);
        expect(bitDifference(vs.subarray(0, n), values)).toBeUndefined();
        expect(bitDifference(ts.subarray(0, n), timestamps)).toBeUndefined();
        const wide = new BigInt64Array(n);
        codec.decodeInto(block, wide, vs);
        expect(Array.from(wide, Number)).toEqual(Array.from(timestamps));
      }),
      { numRuns: 50 },
    );
  });
});

describe("refusals", () => {
  const notIntegralMicroseconds = fc.oneof(
    fc.double({ noNaN: true, noDefaultInfinity: true }).filter((t) => !Number.isInteger(t)),
    fc.constantFrom(0.5, -0.5, 1e-300, 2 ** 51 + 0.5, NaN, Infinity, -Infinity, 2 ** 53 + 2, -(2 ** 53) - 2, 1e300, -1e300),
  );

  it("refuses a non-integral, non-finite or out-of-±2^53 Float64 timestamp with BAD_TIMESTAMP at its index", () => {
    const series = fc.integer({ min: 1, max: 300 }).chain((n) => fc.tuple(fc.constant(n), fc.integer({ min: 0, max: n - 1 })));
    fc.assert(
      fc.property(series, notIntegralMicroseconds, ([n, at], bad) => {
        const timestamps = Float64Array.from({ length: n }, (_, i) => i * 1000);
        timestamps[at] = bad;
        const err = codecErrorOf(() => codec.encode(timestamps, new Float64Array(n)));
        expect(err.code).toBe("BAD_TIMESTAMP");
        expect(err.at).toBe(at);
      }),
      { numRuns: 200 },
    );
  });

  it("refuses a NaN timestamp with BAD_TIMESTAMP", () => {
    const err = codecErrorOf(() => codec.encode(new Float64Array([0, NaN, 2]), new Float64Array(3)));
    expect(err.code).toBe("BAD_TIMESTAMP");
    expect(err.at).toBe(1);
  });

  it("refuses mismatched lengths, an empty series and an oversized one with a CodecError", () => {
    expect(codecErrorOf(() => codec.encode(new Float64Array(3), new Float64Array(2))).code).toBe("BAD_INPUT");
    expect(codecErrorOf(() => codec.encode(new BigInt64Array(1), new Float64Array(2))).code).toBe("BAD_INPUT");
    expect(codecErrorOf(() => codec.encode(new Float64Array(0), new Float64Array(0))).code).toBe("BAD_COUNT");
    const tooMany = MAX_BLOCK_POINTS + 1;
    expect(codecErrorOf(() => codec.encode(new Float64Array(tooMany), new Float64Array(tooMany))).code).toBe("BAD_COUNT");
  });

  it("refuses timestamps and values of the wrong array type, and unknown codec options, with BAD_INPUT", () => {
    const ts = new Float64Array(2);
    const vs = new Float64Array(2);
    expect(codecErrorOf(() => codec.encode([0, 1] as never, vs)).code).toBe("BAD_INPUT");
    expect(codecErrorOf(() => codec.encode(ts, new Float32Array(2) as never)).code).toBe("BAD_INPUT");
    expect(codecErrorOf(() => codec.encode(ts, vs, { values: "zstd" as never })).code).toBe("BAD_INPUT");
    expect(codecErrorOf(() => codec.encode(ts, vs, { timestamps: "gorilla" as never })).code).toBe("BAD_INPUT");
  });

  it("refuses to decode a timestamp beyond ±2^53 into a Float64Array with TIMESTAMP_RANGE", () => {
    const beyond = fc.oneof(
      fc.bigInt({ min: 2n ** 53n + 1n, max: 2n ** 63n - 1n }),
      fc.bigInt({ min: -(2n ** 63n), max: -(2n ** 53n) - 1n }),
    );
    const series = fc.integer({ min: 1, max: 300 }).chain((n) => fc.tuple(bigintTimestamps(n), fc.integer({ min: 0, max: n - 1 })));
    fc.assert(
      fc.property(series, beyond, ([timestamps, at], t) => {
        timestamps[at] = t;
        const values = new Float64Array(timestamps.length).fill(7);
        const block = codec.encode(timestamps, values);
        expect(codecErrorOf(() => codec.decode(block)).code).toBe("TIMESTAMP_RANGE");
        expect(codecErrorOf(() => codec.decodeInto(block, new Float64Array(timestamps.length), new Float64Array(timestamps.length))).code).toBe(
          "TIMESTAMP_RANGE",
        );
        expect(bitDifference(codec.decode(block, { timestamps: "bigint64" }).timestamps, timestamps)).toBeUndefined();
      }),
      { numRuns: 100 },
    );
  });
});
