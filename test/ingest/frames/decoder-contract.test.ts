// One conformance suite for every frame decoder: the same readings, written in each format, come back
// the same; a bad name refuses only its reading; a frame over the limits or broken at its end leaves the
// builder exactly as it was. Each format's own file tests what only that format has.
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { BatchBuilder } from "../../../src/ingest/batch-builder.js";
import {
  decodeBinaryFrame,
  decodeJsonFrame,
  decodeLineProtocol,
  encodeBinaryFrame,
  type DecodedFrame,
  type FrameLimits,
} from "../../../src/ingest/frames/index.js";
import { LIMITS, columnsOf, frameErrorOf, rowsOf, type Row } from "./helpers.js";

interface Format {
  name: string;
  encode(rows: readonly Row[], seq?: number): string | Uint8Array;
  decode(input: string | Uint8Array, builder: BatchBuilder, limits: FrameLimits): DecodedFrame;
  /** Whether the format carries a sequence number. */
  hasSeq: boolean;
  /** The input broken at its very end, and the limits to decode it with: must throw a FrameError. */
  breakAtEnd(rows: readonly Row[]): { input: string | Uint8Array; limits: FrameLimits };
}

const escapeName = (s: string, specials: string) => s.replace(/[\\]/g, "\\\\").replace(new RegExp(`[${specials}]`, "g"), (c) => `\\${c}`);
const lineOf = (r: Row) => `${escapeName(r.channel, ", ")},device=${escapeName(r.device, ", =")} value=${String(r.value)} ${r.ts}`;

const FORMATS: Format[] = [
  {
    name: "binary",
    encode: (rows, seq) => encodeBinaryFrame(seq, columnsOf(rows)),
    decode: (input, builder, limits) => decodeBinaryFrame(input as Uint8Array, builder, limits),
    hasSeq: true,
    breakAtEnd: (rows) => {
      const frame = encodeBinaryFrame(1, columnsOf(rows));
      return { input: frame.subarray(0, frame.length - 1), limits: LIMITS };
    },
  },
  {
    name: "JSON",
    encode: (rows, seq) => JSON.stringify({ seq, readings: rows.map((r) => ({ device: r.device, channel: r.channel, ts: r.ts, value: r.value })) }),
    decode: (input, builder, limits) => decodeJsonFrame(input, builder, limits),
    hasSeq: true,
    breakAtEnd: (rows) => {
      const text = JSON.stringify({ readings: rows });
      return { input: text.slice(0, -1), limits: LIMITS };
    },
  },
  {
    name: "line protocol",
    encode: (rows) => rows.map(lineOf).join("\n"),
    decode: (input, builder, limits) => decodeLineProtocol(input, builder, limits, { precision: "us" }),
    hasSeq: false,
    // The limit is reached only at the last line, after the others went into the builder.
    breakAtEnd: (rows) => ({ input: rows.map(lineOf).join("\n"), limits: { ...LIMITS, maxReadings: rows.length - 1 } }),
  },
];

const SAMPLE: Row[] = [
  { device: "press-17", channel: "temp", ts: 1_700_000_000_000_000, value: 21.5 },
  { device: "press-17", channel: "pressure", ts: 1_700_000_000_000_000, value: 1013.25 },
  { device: "press-18", channel: "temp", ts: 1_700_000_000_500_123, value: -3 },
  { device: "press-18", channel: "temp", ts: 1_699_999_999_000_000, value: 1e-7 },
  { device: "gw/7 ünit", channel: "vibration rms", ts: 0, value: 123456789.125 },
];

// Names from characters every format has to escape or encode: separators, quotes, backslashes, non-ASCII.
const nameChar = fc.constantFrom(..."abcxyz019-_./:", ",", " ", "=", "\\", '"', "é", "温", "😀");
const name = fc
  .string({ unit: nameChar, minLength: 1, maxLength: 12 })
  .filter((s) => !s.startsWith("#") && !s.startsWith(" ") && !s.endsWith("\\"));
const row: fc.Arbitrary<Row> = fc.record({
  device: name,
  channel: name,
  ts: fc.oneof(fc.integer({ min: -1e12, max: 1e12 }).map((d) => 1_700_000_000_000_000 + d), fc.maxSafeInteger().map((t) => t), fc.integer()),
  value: fc.oneof(
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.integer({ min: -100000, max: 100000 }).map((k) => k / 100),
    fc.integer(),
  ).filter((v) => !Object.is(v, -0)),
});

describe.each(FORMATS)("$name frames", (format) => {
  it("decode every reading of a valid frame into the builder", () => {
    const builder = new BatchBuilder();
    const frame = format.decode(format.encode(SAMPLE, 12), builder, LIMITS);
    expect(frame.readings).toBe(SAMPLE.length);
    expect(frame.rejected).toEqual([]);
    expect(frame.seq).toBe(format.hasSeq ? 12 : undefined);
    expect(rowsOf(builder)).toEqual(SAMPLE);
  });

  it("append to what the builder already holds", () => {
    const builder = new BatchBuilder();
    builder.add(builder.deviceId("earlier"), builder.channelId("temp"), 5, 6);
    format.decode(format.encode(SAMPLE), builder, LIMITS);
    expect(rowsOf(builder)).toEqual([{ device: "earlier", channel: "temp", ts: 5, value: 6 }, ...SAMPLE]);
  });

  it("keep the good readings of a frame and reject the one whose device name is too long", () => {
    const long = "d".repeat(LIMITS.maxNameLength + 1);
    const rows = SAMPLE.map((r, i) => (i === 2 ? { ...r, device: long } : r));
    const builder = new BatchBuilder();
    const frame = format.decode(format.encode(rows), builder, LIMITS);
    expect(frame.readings).toBe(SAMPLE.length - 1);
    expect(frame.rejected).toEqual([{ index: 2, reason: "bad_name", detail: expect.stringContaining("more than 128") }]);
    expect(rowsOf(builder)).toEqual(SAMPLE.filter((_, i) => i !== 2));
  });

  it("refuse a frame with more readings than maxReadings and leave the builder as it was", () => {
    const builder = new BatchBuilder();
    builder.add(builder.deviceId("earlier"), builder.channelId("temp"), 5, 6);
    frameErrorOf(() => format.decode(format.encode(SAMPLE), builder, { ...LIMITS, maxReadings: 3 }), "TOO_LARGE");
    expect(rowsOf(builder)).toEqual([{ device: "earlier", channel: "temp", ts: 5, value: 6 }]);
  });

  it("leave the builder as it was when the frame breaks at its very end", () => {
    const builder = new BatchBuilder();
    builder.add(builder.deviceId("earlier"), builder.channelId("temp"), 5, 6);
    const { input, limits } = format.breakAtEnd(SAMPLE);
    frameErrorOf(() => format.decode(input, builder, limits));
    expect(builder.length).toBe(1);
    expect(rowsOf(builder)).toEqual([{ device: "earlier", channel: "temp", ts: 5, value: 6 }]);
  });

  it("give back any readings written in the format, names with separators and non-ASCII included", () => {
    fc.assert(
      fc.property(fc.array(row, { minLength: 0, maxLength: 40 }), (rows) => {
        const builder = new BatchBuilder();
        const frame = format.decode(format.encode(rows), builder, LIMITS);
        expect(frame.rejected).toEqual([]);
        expect(frame.readings).toBe(rows.length);
        expect(rowsOf(builder)).toEqual(rows);
      }),
      { numRuns: 300 },
    );
  });
});
