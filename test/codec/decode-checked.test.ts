// Blocks made at the edge are stored as they are only when decodeChecked() trusts them: strictly
// increasing timestamps and a header that states exactly its points' statistics. A hostile writer can
// recompute checksums, so every lie in the header must be caught by recomputing from the points.
import { describe, it, expect } from "vitest";
import { createCodec, CodecError } from "../../src/codec/index.js";
import { FIELD, headerLength, reseal, writeU32 } from "../support/block-layout.js";

const codec = await createCodec();
const T0 = Date.UTC(2024, 2, 1) * 1000;

function gauge(n: number, step = 1_000_000): { timestamps: Float64Array; values: Float64Array } {
  return {
    timestamps: Float64Array.from({ length: n }, (_, i) => T0 + i * step),
    values: Float64Array.from({ length: n }, (_, i) => Math.round(2000 + 300 * Math.sin(i / 40)) / 100),
  };
}

/** The block with the 8 bytes at `at` replaced by `v` as a double, checksums recomputed. */
function withDouble(block: Uint8Array, at: number, v: number): Uint8Array {
  const copy = block.slice();
  new DataView(copy.buffer).setFloat64(at, v, true);
  return reseal(copy);
}

describe("decoding a block made elsewhere", () => {
  it("trusts what the codec itself wrote, and returns its points", () => {
    for (const n of [1, 2, 127, 128, 300, 5000]) {
      const { timestamps, values } = gauge(n);
      values[n >> 1] = NaN;
      const block = codec.encode(timestamps, values);
      const checked = codec.decodeChecked(block);
      expect(checked.trusted).toBe(true);
      expect(checked.timestamps).toEqual(timestamps);
      expect(Array.from(checked.values, (v) => Object.is(v, NaN) ? "NaN" : v)).toEqual(Array.from(values, (v) => Object.is(v, NaN) ? "NaN" : v));
    }
  });

  it("does not trust timestamps that repeat or go back", () => {
    const { timestamps, values } = gauge(300);
    timestamps[10] = timestamps[9];
    expect(codec.decodeChecked(codec.encode(timestamps, values)).trusted).toBe(false);
    timestamps[10] = timestamps[9] - 5;
    expect(codec.decodeChecked(codec.encode(timestamps, values)).trusted).toBe(false);
  });

  it("does not trust a header whose statistics lie, even with valid checksums", () => {
    const block = codec.encode(gauge(300).timestamps, gauge(300).values);
    // first, last, min, max, sum, M2 of the values (docs/format/block.md: bytes 64 … 111)
    for (const at of [64, 72, 80, 88, 96, 104]) {
      const lying = withDouble(block, at, 1e6);
      expect(codec.summary(lying).count).toBe(300);
      expect(codec.decodeChecked(lying).trusted).toBe(false);
    }
    const wrongFinite = block.slice();
    writeU32(wrongFinite, FIELD.finiteCount, 299);
    expect(codec.decodeChecked(reseal(wrongFinite)).trusted).toBe(false);
    const wrongTime = block.slice();
    new DataView(wrongTime.buffer).setBigInt64(48, BigInt(T0 - 1), true);
    expect(codec.decodeChecked(reseal(wrongTime)).trusted).toBe(false);
  });

  it("does not trust a header whose sketch lies", () => {
    const block = codec.encode(gauge(300).timestamps, gauge(300).values);
    const h = headerLength(block);
    let changed = 0;
    for (let at = FIELD.sketch; at < h - 4 && changed === 0; at++) {
      // A one-byte varint (a bucket count below 128) can be changed without moving the others.
      if (block[at] < 0x7f && (at === FIELD.sketch || block[at - 1] < 0x80)) {
        const lying = block.slice();
        lying[at] += 1;
        expect(codec.decodeChecked(reseal(lying)).trusted).toBe(false);
        changed++;
      }
    }
    expect(changed).toBe(1);
  });

  it("refuses a damaged block with a CodecError", () => {
    const block = codec.encode(gauge(300).timestamps, gauge(300).values);
    const damaged = block.slice();
    damaged[damaged.length - 3] ^= 0x10;
    expect(() => codec.decodeChecked(damaged)).toThrow(CodecError);
  });
});
