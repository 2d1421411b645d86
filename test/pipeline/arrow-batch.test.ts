import fc from "fast-check";
import {
  Dictionary,
  Int8,
  Int32,
  makeData,
  Field,
  Schema,
  Struct,
  RecordBatch,
  RecordBatchStreamWriter,
  tableFromIPC,
  Table,
  TimestampMicrosecond,
  TimestampMillisecond,
  Float64,
  Uint8,
  Utf8,
  vectorFromArray,
} from "apache-arrow";
import { describe, expect, it } from "vitest";
import type { FlaggedColumns } from "../../src/ingest/batch-builder.js";
import {
  ArrowBatchError,
  batchFromIPC,
  batchFromRecordBatch,
  batchToIPC,
  int64ToTimestamps,
  int64ToTimestampsSlow,
  timestampsToInt64,
  timestampsToInt64Slow,
} from "../../src/pipeline/arrow-batch.js";
import { doubleBits } from "../support/arbitraries.js";
import { wordsOf } from "../support/bits.js";
import { awkwardBatch, expectSameBatch } from "./bus.conformance.js";

const MAX = Number.MAX_SAFE_INTEGER;
const timestamp = fc.oneof(
  fc.integer({ min: -MAX, max: MAX }),
  fc.constantFrom(0, 1, -1, MAX, -MAX, 2 ** 32, 2 ** 32 - 1, -(2 ** 32), 2 ** 31, -(2 ** 31) - 1, 1_700_000_000_000_000),
  fc.integer({ min: 1_600_000_000_000_000, max: 1_900_000_000_000_000 }),
).map((t) => t + 0); // −0 µs is 0 µs: int64 has no −0

const name = fc.oneof(fc.string({ unit: "binary", maxLength: 12 }), fc.string({ unit: "grapheme", maxLength: 6 }), fc.constantFrom("", "press-17", "炉🔥", "e\u0301"));

/** Any well-formed batch: dictionaries (duplicates allowed), indices into them, any bits in every column. */
const batch: fc.Arbitrary<FlaggedColumns> = fc
  .record({
    devices: fc.array(name, { minLength: 1, maxLength: 6 }),
    channels: fc.array(name, { minLength: 1, maxLength: 4 }),
    rows: fc.array(fc.record({ d: fc.nat(), c: fc.nat(), t: timestamp, v: doubleBits, f: fc.integer({ min: 0, max: 255 }) }), { maxLength: 200 }),
  })
  .map(({ devices, channels, rows }) => {
    const values = new Float64Array(rows.length);
    wordsOf(values).set(rows.map((r) => r.v));
    return {
      devices,
      channels,
      device: Uint32Array.from(rows, (r) => r.d % devices.length),
      channel: Uint32Array.from(rows, (r) => r.c % channels.length),
      timestamps: Float64Array.from(rows, (r) => r.t),
      values,
      flags: Uint8Array.from(rows, (r) => r.f),
    };
  });

function errorOf(f: () => unknown): ArrowBatchError {
  try {
    f();
  } catch (err) {
    if (err instanceof ArrowBatchError) return err;
    throw err;
  }
  throw new Error("expected an ArrowBatchError");
}

describe("Arrow batches", () => {
  it("round-trip any batch bit-exactly through Arrow IPC bytes", () => {
    fc.assert(
      fc.property(batch, fc.integer({ min: 0, max: 7 }), (b, misalign) => {
        const bytes = batchToIPC(b);
        // Bytes from Redis arrive at any offset inside Node's buffer pool.
        const moved = Buffer.alloc(bytes.byteLength + misalign);
        moved.set(bytes, misalign);
        expectSameBatch(batchFromIPC(moved.subarray(misalign)), b);
      }),
      { numRuns: 300 },
    );
  });

  it("round-trip NaN payloads, −0, ±∞, extreme µs and unicode names", () => {
    expectSameBatch(batchFromIPC(batchToIPC(awkwardBatch())), awkwardBatch());
  });

  it("round-trip an empty batch", () => {
    const empty: FlaggedColumns = { devices: [], channels: [], device: new Uint32Array(0), channel: new Uint32Array(0), timestamps: new Float64Array(0), values: new Float64Array(0), flags: new Uint8Array(0) };
    expectSameBatch(batchFromIPC(batchToIPC(empty)), empty);
  });

  it("are written with the schema of DESIGN.md, readable by any Arrow reader", () => {
    const table = tableFromIPC(batchToIPC(awkwardBatch()));
    expect(table.schema.fields.map((f) => `${f.name}: ${f.type}`)).toEqual([
      "device: Dictionary<Int32, Utf8>",
      "channel: Dictionary<Int32, Utf8>",
      "ts: Timestamp<MICROSECOND>",
      "value: Float64",
      "flags: Uint8",
    ]);
    expect(table.numRows).toBe(10);
    expect(table.getChild("device")!.get(1)).toBe("炉🔥");
    expect(table.getChild("ts")!.toArray()[0]).toBe(2n ** 53n - 1n);
  });

  it("convert timestamps without BigInt exactly as the BigInt reference does, both ways", () => {
    fc.assert(
      fc.property(fc.array(timestamp, { maxLength: 64 }), (ts) => {
        const floats = Float64Array.from(ts);
        const fast = timestampsToInt64(floats);
        expect([...fast]).toEqual([...timestampsToInt64Slow(floats)]);
        expect([...int64ToTimestamps(fast)]).toEqual([...int64ToTimestampsSlow(fast)]);
        expect([...int64ToTimestamps(fast)]).toEqual(ts);
      }),
    );
  });

  it("refuse timestamps that int64 µs cannot hold exactly, naming the reading", () => {
    for (const bad of [1.5, NaN, Infinity, -Infinity, 2 ** 53, -(2 ** 53), 1e300]) {
      const b = awkwardBatch();
      b.timestamps[3] = bad;
      const err = errorOf(() => batchToIPC(b));
      expect([err.code, err.at]).toEqual(["TIMESTAMP_RANGE", 3]);
      expect(() => timestampsToInt64Slow(b.timestamps)).toThrow(ArrowBatchError);
    }
  });

  it("refuse int64 timestamps beyond ±(2^53 − 1) µs on the way back rather than round them", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (t) => {
        const raw = BigInt64Array.of(0n, t);
        const safe = t >= -(2n ** 53n - 1n) && t <= 2n ** 53n - 1n;
        if (safe) expect(int64ToTimestamps(raw)[1]).toBe(Number(t));
        else expect(errorOf(() => int64ToTimestamps(raw)).at).toBe(1);
        expect(safe).toBe(!threw(() => int64ToTimestampsSlow(raw)));
      }),
    );
    const ts = makeData({ type: new TimestampMicrosecond(), length: 1, nullCount: 0, data: BigInt64Array.of(2n ** 60n) });
    const rb = recordBatchOf({ ts });
    expect(errorOf(() => batchFromRecordBatch(rb)).code).toBe("TIMESTAMP_RANGE");
  });

  it("refuse indices outside their dictionary, columns of unequal length and names UTF-8 cannot carry", () => {
    const b = awkwardBatch();
    b.device[4] = b.devices.length;
    expect([errorOf(() => batchToIPC(b)).code, errorOf(() => batchToIPC(b)).at]).toEqual(["BAD_BATCH", 4]);
    const short = { ...awkwardBatch(), flags: new Uint8Array(9) };
    expect(errorOf(() => batchToIPC(short)).message).toMatch(/flags 9/);
    const lone = { ...awkwardBatch(), channels: ["ok", "\uD800x"] };
    expect(errorOf(() => batchToIPC(lone)).code).toBe("BAD_BATCH");
  });

  it("refuse truncated streams and stray bytes with an ArrowBatchError, never anything else", () => {
    const bytes = batchToIPC(awkwardBatch());
    // Every cut: a stream may end without its end-of-stream marker, nothing else may be missing.
    for (let cut = 0; cut < bytes.length; cut++) {
      const result = outcome(() => batchFromIPC(bytes.subarray(0, cut)));
      if (result instanceof ArrowBatchError) continue;
      expect(result, `cut at ${cut} of ${bytes.length}`).not.toBeInstanceOf(Error);
      expect(cut).toBeGreaterThanOrEqual(bytes.length - 8);
      expectSameBatch(result as FlaggedColumns, awkwardBatch());
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), fc.boolean(), (junk, continuation) => {
        // 0xFFFFFFFF opens every IPC message: junk behind it reaches the metadata parser.
        const input = continuation ? Uint8Array.from([0xff, 0xff, 0xff, 0xff, ...junk]) : junk;
        expect(outcome(() => batchFromIPC(input))).toBeInstanceOf(ArrowBatchError);
      }),
      { numRuns: 500 },
    );
    expect(errorOf(() => batchFromIPC(new Uint8Array(0))).code).toBe("BAD_IPC");
    const two = RecordBatchStreamWriter.writeAll(new Table(tableFromIPC(bytes).batches.concat(tableFromIPC(bytes).batches))).toUint8Array(true);
    expect(errorOf(() => batchFromIPC(two)).message).toMatch(/other than one record batch/);
    const millis = recordBatchOf({ ts: makeData({ type: new TimestampMillisecond(), length: 1, nullCount: 0, data: BigInt64Array.of(1n) }) });
    expect(errorOf(() => batchFromRecordBatch(millis)).code).toBe("BAD_SCHEMA");
  });

  it("read what other writers make: plain Utf8 names and narrower dictionary indices", () => {
    const rb = recordBatchOf({
      device: vectorFromArray(["b", "a", "b"], new Utf8()).data[0],
      channel: vectorFromArray(["t", "t", "p"], new Dictionary(new Utf8(), new Int8())).data[0],
    });
    const got = batchFromIPC(RecordBatchStreamWriter.writeAll([rb]).toUint8Array(true));
    expect([...got.device].map((i) => got.devices[i])).toEqual(["b", "a", "b"]);
    expect([...got.channel].map((i) => got.channels[i])).toEqual(["t", "t", "p"]);
  });
});

function outcome(f: () => unknown): unknown {
  try {
    return f();
  } catch (err) {
    return err;
  }
}

function threw(f: () => unknown): boolean {
  try {
    f();
    return false;
  } catch {
    return true;
  }
}

/** A record batch of the batch schema's columns, three rows unless replaced, with some swapped in. */
function recordBatchOf(replace: Record<string, ReturnType<typeof makeData>>): RecordBatch {
  const n = replace.ts?.length ?? 3;
  const columns = {
    device: vectorFromArray(Array.from({ length: n }, () => "d"), new Dictionary(new Utf8(), new Int32())).data[0],
    channel: vectorFromArray(Array.from({ length: n }, () => "c"), new Dictionary(new Utf8(), new Int32())).data[0],
    ts: makeData({ type: new TimestampMicrosecond(), length: n, nullCount: 0, data: new BigInt64Array(n) }),
    value: makeData({ type: new Float64(), length: n, nullCount: 0, data: new Float64Array(n) }),
    flags: makeData({ type: new Uint8(), length: n, nullCount: 0, data: new Uint8Array(n) }),
    ...replace,
  };
  // From a schema and struct data, not from vectors: a RecordBatch made of vectors loses the
  // dictionaries from its struct data (Arrow JS 21) and would be written with empty ones.
  const fields = Object.entries(columns).map(([k, d]) => new Field(k, d.type, false));
  return new RecordBatch(new Schema(fields), makeData({ type: new Struct(fields), length: n, nullCount: 0, children: Object.values(columns) }));
}
