import fc from "fast-check";
import { RecordBatchStreamWriter, Utf8, vectorFromArray } from "apache-arrow";
import { describe, expect, it } from "vitest";
import { ArrowBatchError, batchFromIPC, batchToIPC, batchToRecordBatch } from "../../src/pipeline/arrow-batch.js";
import { plausibleStream } from "../../src/pipeline/arrow-stream-check.js";
import { awkwardBatch } from "./bus.conformance.js";

/** Another writer's stream: the channel column as plain Utf8, not a dictionary (read by Arrow's reader). */
function foreignStream(): Uint8Array {
  const plain = vectorFromArray(["t", "p", "t", "p", "t", "p", "t", "p", "t", "p"], new Utf8());
  return RecordBatchStreamWriter.writeAll([batchToRecordBatch(awkwardBatch()).setChildAt(1, plain)]).toUint8Array(true);
}

describe("the look over an Arrow stream before Arrow's reader", () => {
  it("passes what Arrow writes, whole or cut inside its end-of-stream marker", () => {
    for (const bytes of [foreignStream(), batchToIPC(awkwardBatch())]) {
      expect(plausibleStream(bytes)).toBe(true);
      for (let cut = bytes.length - 7; cut < bytes.length; cut++) expect(plausibleStream(bytes.subarray(0, cut))).toBe(true);
    }
  });

  it("stops a message, table or buffer that leaves the bytes", () => {
    const bytes = foreignStream();
    expect(plausibleStream(bytes.subarray(0, 100))).toBe(false);
    expect(plausibleStream(bytes.subarray(0, bytes.length - 9))).toBe(false);
    const longer = bytes.slice();
    new DataView(longer.buffer).setInt32(4, 1 << 30, true);
    expect(plausibleStream(longer)).toBe(false);
  });

  it("keeps Arrow's reader from running away on damage: every damaged stream is read or refused", () => {
    const bytes = foreignStream();
    fc.assert(
      fc.property(fc.array(fc.record({ at: fc.nat({ max: bytes.length - 1 }), to: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 3 }), (flips) => {
        const damaged = bytes.slice();
        for (const f of flips) damaged[f.at] = f.to;
        // Before the checks, one changed byte made Arrow's reader allocate until the process died, and
        // out-of-order dictionary offsets made one read take seconds (this test's time limit catches that).
        try {
          batchFromIPC(damaged);
        } catch (err) {
          expect(err).toBeInstanceOf(ArrowBatchError);
        }
      }),
      { numRuns: 1500 },
    );
  });
});
