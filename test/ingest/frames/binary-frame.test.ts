// The binary frame: readings come back bit for bit (every double, any safe timestamp, far jumps
// included), in few bytes; codec blocks pass through whole; every structural fault is its FrameError.
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { createCodec } from "../../../src/codec/index.js";
import { BatchBuilder } from "../../../src/ingest/batch-builder.js";
import { decodeBinaryFrame, encodeBinaryFrame, encodeBlockFrame, FrameType } from "../../../src/ingest/frames/index.js";
import { putVarint } from "../../../src/ingest/frames/varint.js";
import { bitDifference, doubleOfBits } from "../../support/bits.js";
import { doubleBits } from "../../support/arbitraries.js";
import { LIMITS, columnsOf, frameErrorOf, rowsOf, type Row } from "./helpers.js";

const codec = await createCodec();
const T0 = 1_700_000_000_000_000;
const MAX = Number.MAX_SAFE_INTEGER;

/** A frame assembled by hand: header fields, then raw body bytes. */
function handmade(body: number[], { type = 1, flags = 0, version = 1, devices = ["d"], channels = ["c"] } = {}): Uint8Array {
  const out: number[] = [0x49, 0x50, 0x46, 0x52, version, type, flags];
  for (const dict of [devices, channels]) {
    out.push(dict.length);
    for (const n of dict) {
      const b = new TextEncoder().encode(n);
      out.push(b.length, ...b);
    }
  }
  return Uint8Array.from([...out, ...body]);
}

function varint(v: number): number[] {
  const buf = new Uint8Array(10);
  return Array.from(buf.subarray(0, putVarint(buf, 0, v)));
}

describe("binary readings frames", () => {
  it("give back every double bit for bit: NaN payloads, −0, ±∞, subnormals", () => {
    fc.assert(
      fc.property(fc.array(doubleBits, { minLength: 1, maxLength: 200 }), fc.option(fc.maxSafeNat(), { nil: undefined }), (bits, seq) => {
        const values = new Float64Array(bits.length);
        bits.forEach((b, i) => (values[i] = doubleOfBits(b)[0]));
        const columns = {
          devices: ["d1", "d2", "d3"],
          channels: ["c"],
          device: Uint32Array.from(bits, (_, i) => i % 3),
          channel: new Uint32Array(bits.length),
          timestamps: Float64Array.from(bits, (_, i) => T0 + i * 1000),
          values,
        };
        const builder = new BatchBuilder();
        const frame = decodeBinaryFrame(encodeBinaryFrame(seq, columns), builder, LIMITS);
        expect(frame).toMatchObject({ seq, readings: bits.length, rejected: [], type: FrameType.readings, blocks: [] });
        const back = builder.take();
        expect(bitDifference(back.values, values)).toBeUndefined();
        expect(Array.from(back.timestamps)).toEqual(Array.from(columns.timestamps));
      }),
      { numRuns: 500 },
    );
  });

  it("give back any safe timestamps, in any order, however far apart", () => {
    const ts = fc.oneof(fc.maxSafeInteger(), fc.integer({ min: -1e7, max: 1e7 }).map((d) => T0 + d), fc.constantFrom(MAX, -MAX, 0, 2 ** 52, -(2 ** 52), 2 ** 52 - 1));
    fc.assert(
      fc.property(fc.array(ts, { minLength: 1, maxLength: 100 }), (timestamps) => {
        const rows = timestamps.map((t) => ({ device: "d", channel: "c", ts: t, value: 1 }));
        const builder = new BatchBuilder();
        decodeBinaryFrame(encodeBinaryFrame(undefined, columnsOf(rows)), builder, LIMITS);
        expect(rowsOf(builder)).toEqual(rows);
      }),
      { numRuns: 500 },
    );
  });

  it("write values in their smallest lossless form", () => {
    const size = (v: number) => encodeBinaryFrame(undefined, columnsOf([{ device: "d", channel: "c", ts: 0, value: v }])).length;
    const base = size(0); // a one-byte integer
    expect(size(21.37) - base).toBe(1); // decimal: zz(2137) takes 2 bytes
    expect(size(0.5) - base).toBe(0); // decimal: zz(5)
    expect(size(1.5e-7) - base).toBe(7); // neither a short decimal nor a float32: float64
    expect(size(Math.fround(1.1)) - base).toBe(3); // float32, exactly
    expect(size(-0) - base).toBe(3); // float32 keeps the sign of zero
    expect(size(Number.POSITIVE_INFINITY) - base).toBe(3);
    expect(size(Math.PI) - base).toBe(7); // float64
    expect(size(NaN) - base).toBe(7);
    for (const v of [0.1, 0.0001, -123.4567, 2 ** 52 - 1, -(2 ** 52) + 1, 2 ** 52, 2 ** 53, 1e300, 5e-324, -0, 12345678.9]) {
      const builder = new BatchBuilder();
      decodeBinaryFrame(encodeBinaryFrame(undefined, columnsOf([{ device: "d", channel: "c", ts: 0, value: v }])), builder, LIMITS);
      expect(Object.is(builder.take().values[0], v), `value ${v}`).toBe(true);
    }
  });

  it("take 5 bytes a reading for a gateway's 100 devices sampled each second", () => {
    const rows: Row[] = [];
    for (let s = 0; s < 100; s++) for (let d = 0; d < 100; d++) rows.push({ device: `press-${d}`, channel: "temp", ts: T0 + s * 1_000_000, value: 20 + ((s * 7 + d) % 100) / 10 });
    const frame = encodeBinaryFrame(1, columnsOf(rows));
    expect(frame.length / rows.length).toBeLessThan(5.2);
  });

  it("write only the dictionary entries the rows use, numbered from 0", () => {
    const fleet = Array.from({ length: 10_000 }, (_, i) => `device-${i}`);
    const rows = [{ device: "device-9999", channel: "c", ts: 0, value: 1 }];
    const small = encodeBinaryFrame(undefined, columnsOf(rows));
    const fromFleet = encodeBinaryFrame(undefined, columnsOf(rows, fleet));
    expect(fromFleet).toEqual(small);
    // And the encoder forgets the numbering between frames.
    const other = encodeBinaryFrame(undefined, columnsOf([{ device: "device-1", channel: "c", ts: 0, value: 1 }], fleet));
    const builder = new BatchBuilder();
    decodeBinaryFrame(other, builder, LIMITS);
    expect(rowsOf(builder)).toEqual([{ device: "device-1", channel: "c", ts: 0, value: 1 }]);
  });

  it("read a frame that sits inside a larger buffer, at any offset", () => {
    const rows = [{ device: "d", channel: "c", ts: T0, value: Math.PI }, { device: "d", channel: "c", ts: T0 + 1, value: Math.E }];
    const frame = encodeBinaryFrame(3, columnsOf(rows));
    for (let offset = 1; offset < 9; offset++) {
      const message = new Uint8Array(offset + frame.length + 5);
      message.set(frame, offset);
      const builder = new BatchBuilder();
      decodeBinaryFrame(message.subarray(offset, offset + frame.length), builder, LIMITS);
      expect(rowsOf(builder)).toEqual(rows);
    }
  });

  it("carry an empty frame: a seq with no readings", () => {
    const frame = encodeBinaryFrame(77, columnsOf([]));
    expect(frame.length).toBe(11); // header 7, seq 1, two empty dictionaries, zero rows
    expect(decodeBinaryFrame(frame, new BatchBuilder(), LIMITS)).toEqual({ seq: 77, readings: 0, rejected: [], type: FrameType.readings, blocks: [] });
    expect(decodeBinaryFrame(encodeBlockFrame(undefined, []), new BatchBuilder(), LIMITS, codec)).toMatchObject({ seq: undefined, readings: 0, type: FrameType.blocks });
  });

  it("encode a range of the rows", () => {
    const rows = Array.from({ length: 10 }, (_, i) => ({ device: `d${i % 2}`, channel: "c", ts: i, value: i }));
    const builder = new BatchBuilder();
    decodeBinaryFrame(encodeBinaryFrame(3, columnsOf(rows), 4, 7), builder, LIMITS);
    expect(rowsOf(builder)).toEqual(rows.slice(4, 7));
  });

  it("refuse to encode what the format cannot carry", () => {
    const ok = columnsOf([{ device: "d", channel: "c", ts: 0, value: 1 }]);
    frameErrorOf(() => encodeBinaryFrame(-1, ok), "BAD_INPUT");
    frameErrorOf(() => encodeBinaryFrame(1.5, ok), "BAD_INPUT");
    frameErrorOf(() => encodeBinaryFrame(undefined, { ...ok, timestamps: Float64Array.of(0.5) }), "BAD_INPUT");
    frameErrorOf(() => encodeBinaryFrame(undefined, { ...ok, timestamps: Float64Array.of(2 ** 53) }), "BAD_INPUT");
    frameErrorOf(() => encodeBinaryFrame(undefined, { ...ok, device: Uint32Array.of(1) }), "BAD_INPUT");
    frameErrorOf(() => encodeBinaryFrame(undefined, { ...ok, devices: ["\ud800"] }), "BAD_INPUT");
    frameErrorOf(() => encodeBinaryFrame(undefined, ok, 0, 2), "BAD_INPUT");
    // A failed call leaves nothing behind for the next one.
    const builder = new BatchBuilder();
    decodeBinaryFrame(encodeBinaryFrame(undefined, ok), builder, LIMITS);
    expect(rowsOf(builder)).toEqual([{ device: "d", channel: "c", ts: 0, value: 1 }]);
  });

  it("reject only the rows whose dictionary name is empty, not UTF-8 or holds a control character", () => {
    // Rows: device i, channel 0 with tag 2 (integer), timestamp delta 0, value zz(i + 1).
    const body = [4, ...[0, 2, 0, 2], ...[1, 2, 0, 4], ...[2, 2, 0, 6], ...[3, 2, 0, 8]];
    const frame = handmade(body, { devices: ["ok", "", "a\u0000b", "fine"] });
    // Replace device 2 by invalid UTF-8 of the same length: 0xff.
    const bad = Uint8Array.from(frame);
    bad[frame.indexOf(0x61) + 1] = 0xff; // the NUL of "a\0b"
    for (const [input, third] of [
      [frame, "control character"],
      [bad, "not UTF-8"],
    ] as const) {
      const builder = new BatchBuilder();
      const result = decodeBinaryFrame(input, builder, LIMITS);
      expect(result.readings).toBe(2);
      expect(result.rejected).toEqual([
        { index: 1, reason: "bad_name", detail: expect.stringContaining("empty") },
        { index: 2, reason: "bad_name", detail: expect.stringContaining(third) },
      ]);
      expect(rowsOf(builder)).toEqual([
        { device: "ok", channel: "c", ts: 0, value: 1 },
        { device: "fine", channel: "c", ts: 0, value: 4 },
      ]);
    }
  });
});

describe("binary frames with faults", () => {
  const valid = encodeBinaryFrame(7, columnsOf([{ device: "d", channel: "c", ts: T0, value: 21.5 }]));

  it("refuse input that is not an iotpipe frame, or a version or type they do not know", () => {
    const builder = new BatchBuilder();
    expect(frameErrorOf(() => decodeBinaryFrame(Uint8Array.of(0x7b, 0x22), builder, LIMITS), "BAD_MAGIC").at).toBe(0);
    frameErrorOf(() => decodeBinaryFrame(new Uint8Array(0), builder, LIMITS), "TRUNCATED");
    frameErrorOf(() => decodeBinaryFrame(Uint8Array.of(0x49, 0x50), builder, LIMITS), "TRUNCATED");
    frameErrorOf(() => decodeBinaryFrame(handmade([0], { version: 2 }), builder, LIMITS), "BAD_VERSION");
    frameErrorOf(() => decodeBinaryFrame(handmade([0], { type: 3 }), builder, LIMITS), "BAD_TYPE");
    frameErrorOf(() => decodeBinaryFrame(handmade([0], { flags: 2 }), builder, LIMITS), "BAD_FIELD");
    frameErrorOf(() => decodeBinaryFrame(handmade([0], { type: 2 }), builder, LIMITS), "BAD_TYPE"); // no codec given
    expect(builder.length).toBe(0);
  });

  it("refuse lengths and counts that run past the end before allocating anything by them", () => {
    const builder = new BatchBuilder();
    const huge = varint(2 ** 40);
    // Dictionary counts and name lengths, row counts: each one past the bytes there are.
    const header = [0x49, 0x50, 0x46, 0x52, 1, 1, 0];
    frameErrorOf(() => decodeBinaryFrame(Uint8Array.from([...header, ...varint(1000)]), builder, { ...LIMITS, maxReadings: 1e9 }), "TRUNCATED");
    frameErrorOf(() => decodeBinaryFrame(Uint8Array.from([...header, ...huge]), builder, { ...LIMITS, maxReadings: 1e15 }), "TRUNCATED");
    frameErrorOf(() => decodeBinaryFrame(Uint8Array.from([...header, 1, ...huge, 1, 2]), builder, LIMITS), "TRUNCATED");
    frameErrorOf(() => decodeBinaryFrame(handmade([...varint(50_000)]), builder, LIMITS), "TRUNCATED");
    frameErrorOf(() => decodeBinaryFrame(handmade([...huge]), builder, LIMITS), "TOO_LARGE");
    frameErrorOf(() => decodeBinaryFrame(handmade([...varint(2 ** 53)]), builder, LIMITS), "TOO_LARGE");
    frameErrorOf(() => decodeBinaryFrame(handmade([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), builder, LIMITS), "BAD_VARINT");
    frameErrorOf(() => decodeBinaryFrame(handmade([0x80]), builder, LIMITS), "TRUNCATED");
    expect(builder.length).toBe(0);
  });

  it("refuse rows that point outside the dictionaries, a reserved value tag, or timestamps past ±2^53", () => {
    const builder = new BatchBuilder();
    frameErrorOf(() => decodeBinaryFrame(handmade([1, 1, 0, 0, 2]), builder, LIMITS), "BAD_INDEX");
    frameErrorOf(() => decodeBinaryFrame(handmade([1, 0, 1 * 8 + 2, 0, 2]), builder, LIMITS), "BAD_INDEX");
    frameErrorOf(() => decodeBinaryFrame(handmade([1, 0, 7, 0, 2]), builder, LIMITS), "BAD_FIELD");
    // Each delta is +(2^52 − 1): the third row lands past 2^53.
    const far = varint(MAX - 1);
    frameErrorOf(() => decodeBinaryFrame(handmade([3, 0, 2, ...far, 0, 0, 2, ...far, 0, 0, 2, ...far, 0]), builder, LIMITS), "BAD_FIELD");
    const big = [0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]; // zz = 2^64 − 2 → +(2^63 − 1)
    frameErrorOf(() => decodeBinaryFrame(handmade([1, 0, 2, ...big, 0]), builder, LIMITS), "BAD_FIELD");
    expect(builder.length).toBe(0);
  });

  it("refuse bytes after the last row, and a row cut short", () => {
    const builder = new BatchBuilder();
    frameErrorOf(() => decodeBinaryFrame(Uint8Array.from([...valid, 0]), builder, LIMITS), "TRAILING_BYTES");
    for (let n = 0; n < valid.length; n++) frameErrorOf(() => decodeBinaryFrame(valid.subarray(0, n), builder, LIMITS));
    expect(builder.length).toBe(0);
  });

  it("say where the fault is", () => {
    const err = frameErrorOf(() => decodeBinaryFrame(valid.subarray(0, valid.length - 1), new BatchBuilder(), LIMITS), "TRUNCATED");
    expect(err.message).toMatch(/row 0 at byte \d+ runs past the end of the frame \(\d+ bytes\)/);
    expect(err.at).toBeGreaterThan(7);
  });

  it("name the row or dictionary entry whose varint or bytes are cut off", () => {
    const builder = new BatchBuilder();
    // Row 1's value varint (tag 3: a decimal) is cut after its continuation byte.
    const cutValue = handmade([2, 0, 3, 0, 4, 0, 3, 0, 0x80]);
    expect(frameErrorOf(() => decodeBinaryFrame(cutValue, builder, LIMITS), "TRUNCATED").message).toMatch(/^value of row 1 at byte \d+ runs past the end/);
    // The third device name says it has 9 bytes; 2 are there.
    const cutName = Uint8Array.from([0x49, 0x50, 0x46, 0x52, 1, 1, 0, 3, 1, 0x61, 1, 0x62, 9, 0x63, 0x64]);
    expect(frameErrorOf(() => decodeBinaryFrame(cutName, builder, LIMITS), "TRUNCATED").message).toMatch(/^device name 2 needs 9 bytes/);
    // A device index (two bytes or more once a frame names over 127 devices) that runs off the end.
    const names = Array.from({ length: 200 }, (_, d) => [...new TextEncoder().encode(`d${d}`)]);
    const cutIndex = Uint8Array.from([0x49, 0x50, 0x46, 0x52, 1, 1, 0, ...varint(200), ...names.flatMap((b) => [b.length, ...b]), 1, 1, 0x63, 1, 0x80 | 50, 0x80, 0x80, 0x80]);
    expect(frameErrorOf(() => decodeBinaryFrame(cutIndex, builder, LIMITS), "TRUNCATED").message).toMatch(/^device index of row 0 at byte \d+ runs past the end/);
    expect(builder.length).toBe(0);
  });
});

describe("binary block frames", () => {
  const series = (n: number, start: number, step: number) => ({
    timestamps: Float64Array.from({ length: n }, (_, i) => start + i * step),
    values: Float64Array.from({ length: n }, (_, i) => 20 + Math.sin(i / 10)),
  });

  it("decode every block into the builder and say which blocks can be stored as they are", () => {
    const a = series(1000, T0, 1_000_000);
    const b = series(300, T0, 0); // repeated timestamps: not strictly increasing
    const c = { timestamps: Float64Array.of(T0 + 5, T0 + 1, T0 + 9), values: Float64Array.of(1, 2, 3) };
    const blocks = [
      { device: "press-17", channel: "temp", block: codec.encode(a.timestamps, a.values) },
      { device: "press-17", channel: "rpm", block: codec.encode(b.timestamps, b.values) },
      { device: "press-18", channel: "temp", block: codec.encode(c.timestamps, c.values) },
    ];
    const builder = new BatchBuilder();
    builder.add(builder.deviceId("earlier"), builder.channelId("x"), 1, 1);
    const frame = decodeBinaryFrame(encodeBlockFrame(42, blocks), builder, LIMITS, codec);
    expect(frame).toMatchObject({ seq: 42, readings: 1303, rejected: [], type: FrameType.blocks });
    expect(frame.blocks.map(({ device, channel, first, count, storable }) => ({ device, channel, first, count, storable }))).toEqual([
      { device: "press-17", channel: "temp", first: 1, count: 1000, storable: true },
      { device: "press-17", channel: "rpm", first: 1001, count: 300, storable: false },
      { device: "press-18", channel: "temp", first: 1301, count: 3, storable: false },
    ]);
    expect(frame.blocks[0].block).toEqual(blocks[0].block);
    const back = builder.take();
    expect(bitDifference(back.values.subarray(1, 1001), a.values)).toBeUndefined();
    expect(Array.from(back.timestamps.subarray(1301))).toEqual(Array.from(c.timestamps));
    expect(back.channels[back.channel[1001]]).toBe("rpm");
  });

  it("refuse the frame when a block is corrupt, and leave the builder as it was", () => {
    const a = series(100, T0, 1000);
    const good = codec.encode(a.timestamps, a.values);
    const corrupt = Uint8Array.from(good);
    corrupt[corrupt.length - 3] ^= 0x10;
    const builder = new BatchBuilder();
    const frame = encodeBlockFrame(1, [
      { device: "d", channel: "c", block: good },
      { device: "d", channel: "c2", block: corrupt },
    ]);
    const err = frameErrorOf(() => decodeBinaryFrame(frame, builder, LIMITS, codec), "BAD_BLOCK");
    expect(err.message).toMatch(/block 1 at byte \d+: .*PAYLOAD_CHECKSUM/);
    expect(builder.length).toBe(0);
    frameErrorOf(() => decodeBinaryFrame(encodeBlockFrame(1, [{ device: "d", channel: "c", block: good.subarray(0, 50) }]), builder, LIMITS, codec), "BAD_BLOCK");
  });

  it("count a block's points against maxReadings before decoding it", () => {
    const a = series(1 << 16, T0, 1); // a progression with constant-ish values: a tiny block of many points
    const block = codec.encode(a.timestamps, new Float64Array(1 << 16));
    expect(block.length).toBeLessThan(300);
    const builder = new BatchBuilder();
    frameErrorOf(() => decodeBinaryFrame(encodeBlockFrame(1, [{ device: "d", channel: "c", block }]), builder, { ...LIMITS, maxReadings: 50_000 }, codec), "TOO_LARGE");
  });

  it("reject a block whose device name is bad as one rejection covering its readings", () => {
    const a = series(10, T0, 1000);
    const block = codec.encode(a.timestamps, a.values);
    const builder = new BatchBuilder();
    const frame = decodeBinaryFrame(
      encodeBlockFrame(undefined, [
        { device: "ok", channel: "c", block },
        { device: "", channel: "c", block },
        { device: "ok", channel: "c", block },
      ]),
      builder,
      LIMITS,
      codec,
    );
    expect(frame.readings).toBe(20);
    expect(frame.rejected).toEqual([{ index: 10, reason: "bad_name", detail: 'device "": empty', count: 10 }]);
    expect(frame.blocks.map((b) => b.first)).toEqual([0, 10]);
  });
});
