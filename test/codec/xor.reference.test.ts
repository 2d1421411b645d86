// The XOR value stream is Gorilla exactly as the paper lays it out: byte for byte what a plain
// TypeScript encoder writes, so other Gorilla decoders can read our blocks' value streams.
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { createCodec } from "../../src/codec/index.js";
import { gorillaEncode } from "../support/gorilla-reference.js";
import { wordsOf } from "../support/bits.js";
import { bitPatternSeries, doubleBits, valueSeries } from "../support/arbitraries.js";

const codec = await createCodec();

/** The value stream of `values` encoded with { values: "xor" }: the block's last valueBytes bytes. */
function xorStream(values: Float64Array): Uint8Array {
  const timestamps = Float64Array.from(values, (_, i) => i * 1000);
  const block = codec.encode(timestamps, values, { values: "xor" });
  const { valueCodec, valueBytes } = codec.summary(block);
  expect(valueCodec).toBe("xor");
  return block.subarray(block.length - valueBytes);
}

function fromBits(bits: bigint[]): Float64Array {
  const values = new Float64Array(bits.length);
  wordsOf(values).set(bits);
  return values;
}

/** Values that differ from their neighbours in few bits: what keeps XOR inside its window ('10'). */
function nearNeighbours(n: number): fc.Arbitrary<Float64Array> {
  return fc
    .tuple(doubleBits, fc.array(fc.tuple(fc.integer({ min: 0, max: 63 }), fc.integer({ min: 1, max: 8 })), { minLength: n - 1, maxLength: n - 1 }))
    .map(([first, flips]) => {
      const bits = [first];
      for (const [at, width] of flips) bits.push(bits[bits.length - 1] ^ (((1n << BigInt(width)) - 1n) << BigInt(Math.min(at, 64 - width))));
      return fromBits(bits);
    });
}

describe("the XOR value stream", () => {
  it("matches the reference Gorilla encoder byte for byte on random series", () => {
    const series = fc.integer({ min: 1, max: 1500 }).chain((n) => fc.oneof(valueSeries(n), bitPatternSeries(n), nearNeighbours(n)));
    fc.assert(
      fc.property(series, (values) => {
        expect(Array.from(xorStream(values))).toEqual(Array.from(gorillaEncode(values)));
      }),
      { numRuns: 300 },
    );
  });

  it("writes a single value as its 8 bytes, most significant first", () => {
    expect(Array.from(xorStream(fromBits([0x0123456789abcdefn])))).toEqual([0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef]);
  });

  it("matches the reference where the control codes meet their edges", () => {
    const cases: [string, bigint[]][] = [
      ["repeats ('0')", [0x4000000000000000n, 0x4000000000000000n, 0x4000000000000000n]],
      ["a window reused ('10')", [0n, 0xf0n, 0x70n, 0x30n]],
      ["a window outgrown ('11' again)", [0n, 0xf0n, 0xf000n, 0x1n]],
      ["64 meaningful bits, written as length 0", [0n, 0x8000000000000001n, 0n]],
      ["more than 31 leading zeros, capped at 31", [0n, 1n, 3n, 0x100000000n]],
      ["only the sign bit flips", [0x3ff0000000000000n, 0xbff0000000000000n, 0x3ff0000000000000n]],
      ["NaN payloads and infinities", [0x7ff8000000000000n, 0x7ff0000000000001n, 0xfff0000000000000n, 0x7ff0000000000000n]],
      ["subnormals", [1n, 2n, 0x000fffffffffffffn, 0x8000000000000001n]],
    ];
    for (const [name, bits] of cases) {
      const values = fromBits(bits);
      expect(Array.from(xorStream(values)), name).toEqual(Array.from(gorillaEncode(values)));
    }
  });
});
