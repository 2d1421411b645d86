// Hostile and broken input to every decoder: random bytes and strings, every truncation and bit flip of
// valid frames. Nothing but a FrameError ever escapes, a refused frame leaves the builder as it was, and
// a kept frame adds exactly the readings it reports.
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { createCodec } from "../../../src/codec/index.js";
import { BatchBuilder } from "../../../src/ingest/batch-builder.js";
import {
  FrameError,
  decodeBinaryFrame,
  decodeJsonFrame,
  decodeLineProtocol,
  encodeBinaryFrame,
  encodeBlockFrame,
  type DecodedFrame,
} from "../../../src/ingest/frames/index.js";
import { columnsOf, type Row } from "./helpers.js";

const codec = await createCodec();
const LIMITS = { maxReadings: 5000, maxNameLength: 64 };
const T0 = 1_700_000_000_000_000;
const REASONS = new Set(["bad_timestamp", "bad_value", "missing_field", "bad_name", "non_numeric", "malformed"]);

/** Decodes into a builder that already holds a reading; checks the outcome is one of the two allowed. */
function survives(decode: (builder: BatchBuilder) => DecodedFrame): void {
  const builder = new BatchBuilder();
  builder.add(builder.deviceId("before"), builder.channelId("c"), 1, 1);
  let frame: DecodedFrame;
  try {
    frame = decode(builder);
  } catch (err) {
    if (!(err instanceof FrameError)) throw err;
    expect(builder.length).toBe(1);
    expect(err.message.length).toBeGreaterThan(0);
    return;
  }
  // Plain checks first, one expect at the end: this runs hundreds of thousands of times.
  let problem: string | undefined;
  if (builder.length !== 1 + frame.readings) problem = `builder holds ${builder.length}, frame says ${frame.readings} + 1`;
  for (const r of frame.rejected) {
    if (!REASONS.has(r.reason) || !(Number.isInteger(r.index) && r.index >= 0)) problem = `rejection ${JSON.stringify(r)}`;
  }
  const c = builder.take();
  for (let i = 0; i < c.timestamps.length; i++) {
    if (!Number.isSafeInteger(c.timestamps[i]) || c.device[i] >= c.devices.length || c.channel[i] >= c.channels.length) problem = `reading ${i}`;
  }
  if (problem !== undefined) expect.fail(problem);
}

const rows: Row[] = Array.from({ length: 40 }, (_, i) => ({
  device: `press-${i % 4}`,
  channel: i % 3 ? "temp" : "rpm",
  ts: T0 + Math.floor(i / 4) * 1_000_000 + (i % 5 === 0 ? -7 : 0),
  value: [21.5, Math.PI, NaN, 3, -0, 1e300, 0.001][i % 7],
}));
const readingsFrame = encodeBinaryFrame(99, columnsOf(rows));
const blockFrame = encodeBlockFrame(5, [
  { device: "press-1", channel: "temp", block: codec.encode(Float64Array.from({ length: 200 }, (_, i) => T0 + i * 1000), Float64Array.from({ length: 200 }, (_, i) => 20 + i / 10)) },
  { device: "press-2", channel: "temp", block: codec.encode(Float64Array.of(T0, T0 - 5), Float64Array.of(1, 2)) },
]);
const decodeBinary = (input: Uint8Array) => (builder: BatchBuilder) => decodeBinaryFrame(input, builder, LIMITS, codec);

describe("binary frames under attack", () => {
  it("survive random bytes, with and without a valid header in front", () => {
    const header = fc.constantFrom([], [0x49, 0x50, 0x46, 0x52, 1, 1, 0], [0x49, 0x50, 0x46, 0x52, 1, 2, 1, 7], [0x49, 0x50, 0x46, 0x52, 1, 1, 1]);
    fc.assert(
      fc.property(header, fc.uint8Array({ maxLength: 300 }), (head, body) => survives(decodeBinary(Uint8Array.from([...head, ...body])))),
      { numRuns: 5000 },
    );
  });

  it("survive every truncation of a readings frame and of a block frame", () => {
    for (const frame of [readingsFrame, blockFrame]) {
      for (let n = 0; n <= frame.length; n++) survives(decodeBinary(frame.subarray(0, n)));
    }
  });

  it("survive every single bit flip of a readings frame", () => {
    for (let bit = 0; bit < readingsFrame.length * 8; bit++) {
      const flipped = Uint8Array.from(readingsFrame);
      flipped[bit >> 3] ^= 1 << (bit & 7);
      survives(decodeBinary(flipped));
    }
  });

  it("survive random byte changes of a block frame", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(blockFrame.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), (edits) => {
        const changed = Uint8Array.from(blockFrame);
        for (const [at, b] of edits) changed[at] = b;
        survives(decodeBinary(changed));
      }),
      { numRuns: 2000 },
    );
  });

  it("refuse a frame claiming 2^50 rows in a few bytes at once", () => {
    const start = performance.now();
    const claim = Uint8Array.of(0x49, 0x50, 0x46, 0x52, 1, 1, 0, 0, 0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01);
    expect(() => decodeBinaryFrame(claim, new BatchBuilder(), { maxReadings: 2 ** 53, maxNameLength: 64 })).toThrow(FrameError);
    expect(performance.now() - start).toBeLessThan(50);
  });
});

describe("JSON frames under attack", () => {
  it("survive random text and random bytes", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: "binary", maxLength: 200 }), fc.uint8Array({ maxLength: 200 })), (input) => survives((b) => decodeJsonFrame(input, b, LIMITS))),
      { numRuns: 3000 },
    );
  });

  it("survive any JSON value in any field", () => {
    const value = fc.jsonValue({ maxDepth: 2 });
    const reading = fc.record({ device: value, channel: value, ts: value, time: value, value }, { requiredKeys: [] });
    const frame = fc.record(
      { seq: value, device: value, channel: value, ts: value, time: value, value, readings: fc.oneof(value, fc.array(fc.oneof(reading, value), { maxLength: 8 })) },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(frame, value), (f) => survives((b) => decodeJsonFrame(JSON.stringify(f) ?? "", b, LIMITS))),
      { numRuns: 3000 },
    );
  });
});

describe("line protocol under attack", () => {
  const body = [
    "# a comment",
    "temp,device=press-17 value=21.5 1700000000000000000",
    'cpu,host=h1,cpu=cpu0 usage_idle=99.5,usage_user=3i,note="a \\"b\\" c",ok=T 1700000000000001000',
    "weather,device=a\\ b\\,c temperature=-1.5e3,hum=42u",
    "",
  ].join("\r\n");

  it("survive random text from the protocol's own alphabet", () => {
    const unit = fc.constantFrom(..."ab01-. ,=\"\\\n\r#eEiuTtf+", "é", "\u0000");
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 200 }), fc.constantFrom("ns", "us", "ms", "s") as fc.Arbitrary<"ns">, (text, precision) =>
        survives((b) => decodeLineProtocol(text, b, LIMITS, { precision, now: T0 })),
      ),
      { numRuns: 5000 },
    );
  });

  it("survive random bytes, and random edits of a valid body", () => {
    const bytes = new TextEncoder().encode(body);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (input) => survives((b) => decodeLineProtocol(input, b, LIMITS, { now: T0 }))),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(bytes.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 5 }), (edits) => {
        const changed = Uint8Array.from(bytes);
        for (const [at, b] of edits) changed[at] = b;
        survives((b) => decodeLineProtocol(changed, b, LIMITS, { now: T0 }));
      }),
      { numRuns: 3000 },
    );
  });

  it("survive every truncation of a valid body", () => {
    for (let n = 0; n <= body.length; n++) survives((b) => decodeLineProtocol(body.slice(0, n), b, LIMITS, { now: T0 }));
  });
});
