// Damaged and hostile blocks are refused with a CodecError, never anything else. Storage damage (flipped
// bits, truncation, trailing bytes) is caught by the lengths and the CRC-32C checksums; a hostile writer
// who recomputes the checksums reaches the stream parsers, which must still stay inside the block and
// return either the count the header promises or a CodecError.
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { createCodec, CodecError, type EncodeOptions } from "../../src/codec/index.js";
import { crc32c } from "../support/crc32c.js";
import { FIELD, MIN_HEADER_BYTES, headerLength, readU32, reseal, writeU16, writeU32 } from "../support/block-layout.js";
import { codecErrorOf } from "../support/codec-errors.js";
import { bitDifference } from "../support/bits.js";

const codec = await createCodec();

/** What the codec made of a block: the points it decoded, or the code it refused them with. */
type Outcome = { decoded: number } | { refused: string };

/** Decodes `block`; rethrows anything that is not a CodecError, with `what` for context. */
function outcome(block: Uint8Array, what: string, timestamps: "float64" | "bigint64" = "bigint64"): Outcome {
  try {
    const back = codec.decode(block, { timestamps });
    if (back.timestamps.length !== back.values.length) {
      throw new Error(`${what}: ${back.timestamps.length} timestamps but ${back.values.length} values`);
    }
    return { decoded: back.values.length };
  } catch (err) {
    if (err instanceof CodecError) return { refused: err.code };
    throw new Error(`${what}: ${String(err)}`, { cause: err });
  }
}

function summaryOutcome(block: Uint8Array, what: string): Outcome {
  try {
    return { decoded: codec.summary(block).count };
  } catch (err) {
    if (err instanceof CodecError) return { refused: err.code };
    throw new Error(`${what}: summary: ${String(err)}`, { cause: err });
  }
}

function series(n: number, value: (i: number) => number, step = 1_000_000, jitter = 0): { ts: Float64Array; vs: Float64Array } {
  const ts = Float64Array.from({ length: n }, (_, i) => 1_700_000_000_000_000 + i * step + ((i * 7919) % (2 * jitter + 1)) - jitter);
  return { ts, vs: Float64Array.from({ length: n }, (_, i) => value(i)) };
}

function noise(i: number): number {
  return Math.sin(i * 12.9898) * 43758.5453 - Math.floor(Math.sin(i * 12.9898) * 43758.5453);
}

function sample(name: string, { ts, vs }: { ts: Float64Array; vs: Float64Array }, options: EncodeOptions) {
  return { name, block: codec.encode(ts, vs, options) };
}

/** Valid blocks of several shapes and codecs, under and over the 128 points that bring the sketch. */
const BLOCKS: { name: string; block: Uint8Array }[] = [
  sample("1 plain point", series(1, () => 21.5), { values: "plain" }),
  sample("5 decimal points, regular clock", series(5, (i) => 20 + i / 10), { values: "decimal" }),
  sample("100 XOR points, jittered DOD clock", series(100, noise, 1_000_000, 300), { values: "xor", timestamps: "dod" }),
  sample("127 runs with a NaN tail, FOR clock", series(127, (i) => (i < 60 ? 1 : NaN), 5_000_000, 2), {
    values: "runs",
    timestamps: "for",
  }),
  sample("128 decimals with NaN and −0 exceptions", series(128, (i) => (i % 17 === 0 ? NaN : i % 29 === 0 ? -0 : (i % 50) / 100), 1000, 3), {
    values: "decimal",
    timestamps: "delta",
  }),
  sample("300 auto-coded sensor points", series(300, (i) => Math.round(1000 * Math.sin(i / 10)) / 100, 60_000_000, 5_000), {}),
  sample("600 stepping points as runs", series(600, (i) => Math.floor(i / 100) * 2.5), { values: "runs", timestamps: "delta" }),
  sample("1025 plain noise points (8 KB)", series(1025, noise, 1_000, 1), { values: "plain", timestamps: "for" }),
  sample("1200 XOR points of a random walk", series(1200, (i) => Math.cos(i / 7) * 1e3 + noise(i)), { values: "xor" }),
];

function named(name: string): Uint8Array {
  const found = BLOCKS.find((b) => b.name === name);
  if (found === undefined) throw new Error(`no sample block named ${name}`);
  return found.block;
}
const SENSOR = named("300 auto-coded sensor points");

describe("storage damage", () => {
  it("builds the damage cases from valid blocks with and without a sketch", () => {
    for (const { name, block } of BLOCKS) expect(outcome(block, name), name).toEqual({ decoded: readU32(block, FIELD.count) });
    expect(BLOCKS.some(({ block }) => block[FIELD.sketchBuckets] === 0)).toBe(true);
    expect(BLOCKS.some(({ block }) => block[FIELD.sketchBuckets] === 32)).toBe(true);
    expect(Math.max(...BLOCKS.map(({ block }) => block.length))).toBeGreaterThan(8000);
  });

  it.each(BLOCKS)("refuses every single-bit flip of $name with a CodecError", ({ name, block }) => {
    // Both CRC-32Cs see every bit, and a CRC catches every single-bit error: no flip may decode.
    const copy = block.slice();
    const accepted: number[] = [];
    for (let bit = 0; bit < copy.length * 8; bit++) {
      copy[bit >> 3] ^= 1 << (bit & 7);
      if ("decoded" in outcome(copy, `${name}, bit ${bit}`)) accepted.push(bit);
      copy[bit >> 3] ^= 1 << (bit & 7);
    }
    expect(accepted).toEqual([]);
  });

  it.each(BLOCKS)("refuses every flip of a header bit of $name in summary()", ({ name, block }) => {
    const copy = block.slice();
    const accepted: number[] = [];
    for (let bit = 0; bit < headerLength(block) * 8; bit++) {
      copy[bit >> 3] ^= 1 << (bit & 7);
      if ("decoded" in summaryOutcome(copy, `${name}, bit ${bit}`)) accepted.push(bit);
      copy[bit >> 3] ^= 1 << (bit & 7);
    }
    expect(accepted).toEqual([]);
  });

  it.each(BLOCKS)("refuses every truncation of $name with a CodecError", ({ name, block }) => {
    const accepted: number[] = [];
    for (let len = 0; len < block.length; len++) {
      const cut = block.subarray(0, len);
      if ("decoded" in outcome(cut, `${name} cut to ${len}`)) accepted.push(len);
      if ("decoded" in summaryOutcome(cut, `${name} cut to ${len}`)) accepted.push(-len);
    }
    expect(accepted).toEqual([]);
  });

  it.each(BLOCKS)("refuses $name with trailing bytes as LENGTH_MISMATCH", ({ block }) => {
    for (const extra of [1, 2, 7, 8, 9, 100]) {
      for (const fill of [0x00, 0xff, 0x5a]) {
        const longer = new Uint8Array(block.length + extra).fill(fill);
        longer.set(block);
        expect(codecErrorOf(() => codec.decode(longer)).code).toBe("LENGTH_MISMATCH");
        expect(codecErrorOf(() => codec.summary(longer)).code).toBe("LENGTH_MISMATCH");
      }
    }
  });

  it("refuses what is not a block at all with a CodecError", () => {
    for (const bytes of [new Uint8Array(0), new Uint8Array(3), new Uint8Array(116), new Uint8Array(4096).fill(0xff)]) {
      expect(codecErrorOf(() => codec.decode(bytes))).toBeInstanceOf(CodecError);
      expect(codecErrorOf(() => codec.summary(bytes))).toBeInstanceOf(CodecError);
    }
    expect(codecErrorOf(() => codec.decode([1, 2, 3] as never)).code).toBe("BAD_INPUT");
  });
});

describe("hostile blocks with recomputed checksums", () => {
  it("reseals an untouched block to the very bytes the encoder wrote", () => {
    expect(crc32c(new TextEncoder().encode("123456789"))).toBe(0xe3069283);
    for (const { block } of BLOCKS) expect(reseal(block.slice())).toEqual(block);
  });

  /** Tampered block → decoded with the header's count, or a CodecError; also through summary(). */
  function expectSurvives(block: Uint8Array, what: string): Outcome {
    const count = block.length >= 16 ? readU32(block, FIELD.count) : -1;
    const result = outcome(block, what, "bigint64");
    if ("decoded" in result) expect(result.decoded, `${what}: decoded length`).toBe(count);
    const asFloat = outcome(block, what, "float64");
    if ("decoded" in asFloat) expect(asFloat.decoded, `${what}: decoded length`).toBe(count);
    const summary = summaryOutcome(block, what);
    if ("decoded" in summary) expect(summary.decoded, `${what}: summary count`).toBe(count);
    return result;
  }

  /** Ways to tamper with a block: bytes and bits anywhere, header fields, spliced streams. */
  type Region = "header" | "payload";
  type Tamper =
    | { kind: "byte"; region: Region; at: number; value: number }
    | { kind: "bit"; region: Region; at: number; bit: number }
    | { kind: "field"; field: "count" | "timestampBytes" | "valueBytes"; value: number }
    | { kind: "codec"; field: "timestampCodec" | "valueCodec" | "sketchBuckets"; value: number }
    | { kind: "splice"; at: number; remove: number; insert: number[] };

  /** A position as a fraction of some span, uniform rather than drawn toward the span's start. */
  const where = fc.integer({ min: 0, max: 2 ** 30 - 1 }).map((k) => k / 2 ** 30);
  const region = fc.constantFrom<Region>("payload", "payload", "payload", "header");
  const tamper: fc.Arbitrary<Tamper> = fc.oneof(
    { weight: 4, arbitrary: fc.record({ kind: fc.constant("byte" as const), region, at: where, value: fc.integer({ min: 0, max: 255 }) }) },
    { weight: 4, arbitrary: fc.record({ kind: fc.constant("bit" as const), region, at: where, bit: fc.integer({ min: 0, max: 7 }) }) },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant("field" as const),
        field: fc.constantFrom("count" as const, "timestampBytes" as const, "valueBytes" as const),
        value: fc.oneof(fc.integer({ min: 0, max: 2000 }), fc.constantFrom(2 ** 20, 2 ** 20 + 1, 2 ** 31, 2 ** 32 - 1)),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant("codec" as const),
        field: fc.constantFrom("timestampCodec" as const, "valueCodec" as const, "sketchBuckets" as const),
        value: fc.oneof(fc.integer({ min: 0, max: 5 }), fc.constantFrom(32, 255)),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant("splice" as const),
        at: where,
        remove: fc.integer({ min: 0, max: 16 }),
        insert: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 16 }),
      }),
    },
  );

  /**
   * The byte a tamper aims at: in the payload, or in the header past magic and version (a changed magic
   * or version is refused before anything else is read, so aiming there would only test that).
   */
  function target(block: Uint8Array, region: Region, at: number): number {
    const h = Math.min(headerLength(block), block.length);
    const [start, end] = region === "payload" && h < block.length ? [h, block.length] : [FIELD.flags, Math.max(FIELD.flags + 1, h - 4)];
    return start + Math.floor(at * (end - start));
  }

  function apply(block: Uint8Array, t: Tamper): Uint8Array {
    const h = Math.min(headerLength(block), block.length);
    switch (t.kind) {
      case "byte": {
        const out = block.slice();
        out[target(out, t.region, t.at)] = t.value;
        return out;
      }
      case "bit": {
        const out = block.slice();
        out[target(out, t.region, t.at)] ^= 1 << t.bit;
        return out;
      }
      case "field": {
        const out = block.slice();
        writeU32(out, FIELD[t.field], t.value);
        return out;
      }
      case "codec": {
        const out = block.slice();
        out[FIELD[t.field]] = t.value;
        return out;
      }
      case "splice": {
        // Cut into the streams and keep the lengths adding up, so the parsers (not the length check) see it.
        const payload = block.length - h;
        const at = h + Math.floor(t.at * (payload + 1));
        const remove = Math.min(t.remove, block.length - at);
        const out = new Uint8Array(block.length - remove + t.insert.length);
        out.set(block.subarray(0, at));
        out.set(t.insert, at);
        out.set(block.subarray(at + remove), at + t.insert.length);
        const tsEnd = h + readU32(block, FIELD.timestampBytes);
        const stream = at < tsEnd ? FIELD.timestampBytes : FIELD.valueBytes;
        writeU32(out, stream, readU32(block, stream) - remove + t.insert.length);
        return out;
      }
    }
  }

  const baseBlock = fc.oneof(
    fc.constantFrom(...BLOCKS.map(({ block }) => block)),
    fc
      .record({
        n: fc.integer({ min: 1, max: 400 }),
        values: fc.constantFrom("auto", "plain", "decimal", "xor", "runs"),
        timestamps: fc.constantFrom("auto", "progression", "for", "delta", "dod", "frame-for"),
        seed: fc.integer({ min: 0, max: 1000 }),
      })
      .map(({ n, values, timestamps, seed }) => {
        const { ts, vs } = series(n, (i) => (noise(i + seed) < 0.1 ? NaN : Math.round(noise(i * seed) * 1000) / 100), 1000, seed % 50);
        return codec.encode(ts, vs, { values, timestamps } as EncodeOptions);
      }),
  );

  it("decodes tampered, resealed blocks to the promised count or refuses them with a CodecError", () => {
    fc.assert(
      fc.property(baseBlock, fc.array(tamper, { minLength: 1, maxLength: 4 }), (block, tampers) => {
        const hostile = reseal(tampers.reduce(apply, block));
        expectSurvives(hostile, JSON.stringify(tampers));
      }),
      { numRuns: 10_000 },
    );
  });

  it("decodes payloads rewritten byte by byte under every value codec id, resealed, or refuses them", () => {
    // Each stream parser fed the other codecs' streams and random bytes: the worst a writer can send.
    fc.assert(
      fc.property(baseBlock, fc.integer({ min: 1, max: 4 }), fc.uint8Array({ minLength: 0, maxLength: 64 }), where, (block, codecId, bytes, at) => {
        const out = block.slice();
        out[FIELD.valueCodec] = codecId;
        const h = headerLength(out);
        const start = h + Math.floor(at * (out.length - h));
        out.set(bytes.subarray(0, out.length - start), start);
        expectSurvives(reseal(out), `value codec ${codecId}, ${bytes.length} bytes at ${start}`);
      }),
      { numRuns: 5000 },
    );
  });

  /** A valid block with one crafted change, resealed. */
  function crafted(change: (block: Uint8Array) => void, base = SENSOR): Uint8Array {
    const out = base.slice();
    change(out);
    return reseal(out);
  }

  it("refuses counts of 0 and 2^20 + 1 as BAD_COUNT, and decodes a 2^20 count to 2^20 points or refuses it", () => {
    expect(codecErrorOf(() => codec.decode(crafted((b) => writeU32(b, FIELD.count, 0)))).code).toBe("BAD_COUNT");
    expect(codecErrorOf(() => codec.decode(crafted((b) => writeU32(b, FIELD.count, 2 ** 20 + 1)))).code).toBe("BAD_COUNT");
    expect(codecErrorOf(() => codec.summary(crafted((b) => writeU32(b, FIELD.count, 2 ** 20 + 1)))).code).toBe("BAD_COUNT");
    expect(codecErrorOf(() => codec.decode(crafted((b) => writeU32(b, FIELD.count, 2 ** 32 - 1)))).code).toBe("BAD_COUNT");
    for (const { name, block } of BLOCKS) {
      // A progression stream (timestamps, or a decimal's integers) legitimately fills any count.
      expectSurvives(crafted((b) => writeU32(b, FIELD.count, 2 ** 20), block), `${name} claiming 2^20 points`);
    }
  });

  it("refuses huge stream lengths, including ones that wrap to the right total in 32 bits, as TRUNCATED", () => {
    const ts = readU32(SENSOR, FIELD.timestampBytes);
    const vs = readU32(SENSOR, FIELD.valueBytes);
    const cases: [number, number][] = [
      [2 ** 32 - 1, vs],
      [ts, 2 ** 32 - 1],
      [2 ** 31, 2 ** 31],
      [ts + 2 ** 31, vs + 2 ** 31], // sums to the true length modulo 2^32
      [2 ** 32 - 1, ts + vs + 1], // likewise, split differently
    ];
    for (const [t, v] of cases) {
      const block = crafted((b) => {
        writeU32(b, FIELD.timestampBytes, t);
        writeU32(b, FIELD.valueBytes, v);
      });
      expect(codecErrorOf(() => codec.decode(block)).code, `${t} + ${v}`).toBe("TRUNCATED");
      expect(codecErrorOf(() => codec.summary(block)).code, `${t} + ${v}`).toBe("TRUNCATED");
    }
  });

  it("refuses unknown value and timestamp codec ids as UNKNOWN_CODEC", () => {
    for (const id of [0, 5, 6, 127, 255]) {
      const block = crafted((b) => (b[FIELD.valueCodec] = id));
      expect(codecErrorOf(() => codec.decode(block)).code).toBe("UNKNOWN_CODEC");
      expect(codecErrorOf(() => codec.summary(block)).code).toBe("UNKNOWN_CODEC");
    }
    for (const id of [0, 2, 3, 255]) {
      expect(codecErrorOf(() => codec.decode(crafted((b) => (b[FIELD.timestampCodec] = id)))).code).toBe("UNKNOWN_CODEC");
    }
  });

  it("refuses header lengths past the end as TRUNCATED and under the fixed header as CORRUPT_STREAM", () => {
    const base = SENSOR;
    for (const h of [base.length + 1, base.length + 4, 0xffff]) {
      const block = base.slice();
      writeU16(block, FIELD.headerLength, h);
      expect(codecErrorOf(() => codec.decode(block)).code).toBe("TRUNCATED");
      expect(codecErrorOf(() => codec.summary(block)).code).toBe("TRUNCATED");
    }
    for (const h of [0, 8, 36, MIN_HEADER_BYTES - 1]) {
      const block = crafted((b) => writeU16(b, FIELD.headerLength, h));
      expect(codecErrorOf(() => codec.decode(block)).code).toBe("CORRUPT_STREAM");
      expect(codecErrorOf(() => codec.summary(block))).toBeInstanceOf(CodecError);
    }
  });

  it("refuses a header length moved into the streams, resealed there, with a CodecError", () => {
    const base = SENSOR;
    for (let h = MIN_HEADER_BYTES; h <= base.length; h++) {
      const block = crafted((b) => writeU16(b, FIELD.headerLength, h), base);
      if (h === headerLength(base)) continue;
      expect(codecErrorOf(() => codec.decode(block)), `H = ${h}`).toBeInstanceOf(CodecError);
    }
  });

  it("refuses a wrong magic as BAD_MAGIC and another version as BAD_VERSION", () => {
    expect(codecErrorOf(() => codec.decode(crafted((b) => (b[FIELD.magic] ^= 0x20)))).code).toBe("BAD_MAGIC");
    for (const v of [0, 2, 255]) expect(codecErrorOf(() => codec.decode(crafted((b) => (b[FIELD.version] = v)))).code).toBe("BAD_VERSION");
  });

  it("refuses malformed streams as CORRUPT_STREAM: unknown integer mode, decimal exponent over 18, pfor width over 64", () => {
    const decimal = named("128 decimals with NaN and −0 exceptions");
    const h = headerLength(decimal);
    const valueStart = h + readU32(decimal, FIELD.timestampBytes);
    for (const mode of [4, 5, 128, 255]) {
      expect(codecErrorOf(() => codec.decode(crafted((b) => (b[h] = mode), decimal))).code).toBe("CORRUPT_STREAM");
    }
    for (const e of [19, 64, 255]) {
      expect(codecErrorOf(() => codec.decode(crafted((b) => (b[valueStart] = e), decimal))).code).toBe("CORRUPT_STREAM");
    }
    // A frame-of-reference timestamp stream: mode byte, varint reference, then the first frame's width.
    const forBlock = named("127 runs with a NaN tail, FOR clock");
    const fh = headerLength(forBlock);
    expect(forBlock[fh]).toBe(1);
    let p = fh + 1;
    while (forBlock[p] & 0x80) p++;
    for (const width of [65, 100, 127]) {
      expect(codecErrorOf(() => codec.decode(crafted((b) => (b[p + 1] = (b[p + 1] & 0x80) | width), forBlock))).code).toBe("CORRUPT_STREAM");
    }
  });

  it("reads a sketch field that disagrees with the header's length as CORRUPT_STREAM in summary(), and decodes regardless", () => {
    const small = named("5 decimal points, regular clock"); // no sketch
    const claimed = crafted((b) => (b[FIELD.sketchBuckets] = 32), small);
    expect(codecErrorOf(() => codec.summary(claimed)).code).toBe("CORRUPT_STREAM");
    expect(outcome(claimed, "sketch claimed")).toEqual({ decoded: 5 });
    const sketched = SENSOR;
    expect(codecErrorOf(() => codec.summary(crafted((b) => (b[FIELD.sketchBuckets] = 255), sketched))).code).toBe("CORRUPT_STREAM");
    // Every sketch byte with its continuation bit set: a varint that never ends inside the header.
    const endless = crafted((b) => b.fill(0xff, FIELD.sketch, headerLength(b) - 4), sketched);
    expect(codecErrorOf(() => codec.summary(endless)).code).toBe("CORRUPT_STREAM");
  });

  it("keeps decoding valid blocks correctly after any hostile one", () => {
    const values = Float64Array.from({ length: 2000 }, (_, i) => noise(i));
    const timestamps = Float64Array.from({ length: 2000 }, (_, i) => i);
    const good = codec.encode(timestamps, values, { values: "xor" });
    fc.assert(
      fc.property(baseBlock, fc.array(tamper, { minLength: 1, maxLength: 3 }), (block, tampers) => {
        expectSurvives(reseal(tampers.reduce(apply, block)), JSON.stringify(tampers));
        const back = codec.decode(good);
        expect(bitDifference(back.values, values)).toBeUndefined();
        expect(bitDifference(back.timestamps, timestamps)).toBeUndefined();
      }),
      { numRuns: 200 },
    );
  });
});
