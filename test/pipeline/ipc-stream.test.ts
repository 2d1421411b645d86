import fc from "fast-check";
import { RecordBatchStreamWriter, Utf8, vectorFromArray } from "apache-arrow";
import { describe, expect, it } from "vitest";
import type { FlaggedColumns } from "../../src/ingest/batch-builder.js";
import { ArrowBatchError, batchFromIPC, batchToIPC, batchToRecordBatch, LAYOUT } from "../../src/pipeline/arrow-batch.js";
import { IpcStreamLayout } from "../../src/pipeline/ipc-stream.js";
import { awkwardBatch, expectSameBatch } from "./bus.conformance.js";

/** What Arrow's own writer makes of a batch. */
const arrowBytes = (b: FlaggedColumns) => RecordBatchStreamWriter.writeAll([batchToRecordBatch(b)]).toUint8Array(true);

const name = fc.oneof(fc.string({ unit: "grapheme", maxLength: 8 }), fc.constantFrom("", "press-17", "炉🔥"));

/** Batches of 1 to 300 readings (an empty one is Arrow's to write). */
const batch: fc.Arbitrary<FlaggedColumns> = fc
  .record({
    devices: fc.array(name, { minLength: 1, maxLength: 40 }),
    channels: fc.array(name, { minLength: 1, maxLength: 5 }),
    rows: fc.array(fc.record({ d: fc.nat(), c: fc.nat(), t: fc.integer({ min: -1e15, max: 2e15 }), v: fc.double(), f: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 300 }),
  })
  .map(({ devices, channels, rows }) => ({
    devices,
    channels,
    device: Uint32Array.from(rows, (r) => r.d % devices.length),
    channel: Uint32Array.from(rows, (r) => r.c % channels.length),
    timestamps: Float64Array.from(rows, (r) => r.t + 0),
    values: Float64Array.from(rows, (r) => r.v),
    flags: Uint8Array.from(rows, (r) => r.f),
  }));

describe("Arrow IPC streams written and read directly", () => {
  it("are on: the layout learned from Arrow's own writer checked out", () => {
    expect(LAYOUT).toBeInstanceOf(IpcStreamLayout);
  });

  it("are the very bytes Arrow's writer makes, for any batch", () => {
    fc.assert(
      fc.property(batch, (b) => {
        expect(batchToIPC(b)).toEqual(arrowBytes(b));
      }),
      { numRuns: 300 },
    );
  });

  it("read Arrow's own bytes without Arrow's reader, at any alignment", () => {
    fc.assert(
      fc.property(batch, fc.integer({ min: 0, max: 7 }), (b, misalign) => {
        const moved = Buffer.alloc(arrowBytes(b).length + misalign);
        moved.set(arrowBytes(b), misalign);
        const bytes = moved.subarray(misalign);
        expect(LAYOUT!.read(bytes)).toBeDefined();
        expectSameBatch(batchFromIPC(bytes), b);
      }),
      { numRuns: 200 },
    );
  });

  it("read an empty batch as Arrow writes it, and leave another schema to Arrow's reader", () => {
    const empty = { ...awkwardBatch(), device: new Uint32Array(0), channel: new Uint32Array(0), timestamps: new Float64Array(0), values: new Float64Array(0), flags: new Uint8Array(0) };
    expect(LAYOUT!.read(batchToIPC(empty))).toBeDefined();
    expectSameBatch(batchFromIPC(batchToIPC(empty)), empty);
    const rb = batchToRecordBatch(awkwardBatch());
    const plain = vectorFromArray(["t", "p", "t", "p", "t", "p", "t", "p", "t", "p"], new Utf8());
    const other = RecordBatchStreamWriter.writeAll([rb.setChildAt(1, plain)]).toUint8Array(true);
    expect(LAYOUT!.hasSchemaOf(other)).toBe(false);
    expect(batchFromIPC(other).channels).toEqual(["t", "p"]);
  });

  it("refuse a stream of the batch schema that is not one batch, rather than hand it to Arrow's reader", () => {
    const rb = batchToRecordBatch(awkwardBatch());
    const two = RecordBatchStreamWriter.writeAll([rb, rb]).toUint8Array(true);
    expect(LAYOUT!.read(two)).toBeUndefined();
    expect(() => batchFromIPC(two)).toThrow(/other than one record batch/);
  });

  it("never read outside the bytes or throw anything but ArrowBatchError when a batch's messages are damaged", () => {
    const bytes = batchToIPC(awkwardBatch());
    // Past the schema message: damage there is another schema's, which Arrow's reader reads.
    const schemaBytes = bytes.findIndex((_, i) => i > 0 && new DataView(bytes.buffer).getUint32(i, true) === 0xffffffff);
    fc.assert(
      fc.property(fc.array(fc.record({ at: fc.integer({ min: schemaBytes, max: bytes.length - 1 }), to: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 4 }), (flips) => {
        const damaged = bytes.slice();
        for (const f of flips) damaged[f.at] = f.to;
        expect(() => LAYOUT!.read(damaged)).not.toThrow();
        try {
          batchFromIPC(damaged);
        } catch (err) {
          expect(err).toBeInstanceOf(ArrowBatchError);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it("learn nothing from a sample of another shape", () => {
    expect(IpcStreamLayout.learn(new Uint8Array(64), 2, [4, 4, 8, 8, 1])).toBeUndefined();
    expect(IpcStreamLayout.learn(arrowBytes(awkwardBatch()), 1, [4, 4, 8, 8, 1])).toBeUndefined();
    expect(IpcStreamLayout.learn(arrowBytes(awkwardBatch()), 2, [4, 4, 8, 8, 1])).toBeInstanceOf(IpcStreamLayout);
  });
});
