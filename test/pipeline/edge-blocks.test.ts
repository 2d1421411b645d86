// A block stays attached to its rows through validation, routing and merging only while all of them
// stay together and consecutive in one batch; its bytes follow it, renumbered rows and all.
import { describe, it, expect } from "vitest";
import { concatBlocks, keptBlocks, storableBlocks } from "../../src/pipeline/edge-blocks.js";
import type { EdgeBlocks } from "../../src/index.js";

/** Blocks over rows [row, row + count), with bytes [k, k, …] of length k + 1 for block k. */
function blocks(spans: [number, number][]): EdgeBlocks {
  return storableBlocks(spans.map(([first, count], k) => ({ device: "d", channel: "c", first, count, storable: true, block: new Uint8Array(k + 1).fill(k) })))!;
}

const spans = (b: EdgeBlocks | undefined) => (b ? Array.from(b.rows, (row, k) => [row, b.counts[k], Array.from(b.bytes.subarray(b.offsets[k], b.offsets[k + 1]))]) : []);

describe("edge blocks in the pipeline", () => {
  it("keeps only the blocks a frame can store as they are, with their bytes copied out of it", () => {
    const frame = new Uint8Array([9, 9, 9, 7, 7]);
    const packed = storableBlocks([
      { device: "d", channel: "a", first: 0, count: 3, storable: true, block: frame.subarray(0, 3) },
      { device: "d", channel: "b", first: 3, count: 2, storable: false, block: frame.subarray(3) },
    ]);
    expect(spans(packed)).toEqual([[0, 3, [9, 9, 9]]]);
    expect(packed!.bytes.buffer).not.toBe(frame.buffer);
    expect(storableBlocks([])).toBeUndefined();
  });

  it("drops a block when validation refuses any of its rows, and renumbers the others", () => {
    const b = blocks([[0, 2], [2, 3], [5, 2]]);
    // row 3 refused: rows 0–2 keep their numbers, 4–6 become 3–5
    const to = Int32Array.from([0, 1, 2, -1, 3, 4, 5]);
    expect(spans(keptBlocks(b, to))).toEqual([[0, 2, [0]], [4, 2, [2, 2, 2]]]);
  });

  it("keeps a block with the stream its rows all went to, and drops one whose rows were split", () => {
    const b = blocks([[0, 2], [2, 2]]);
    const stream = Uint32Array.from([0, 0, 1, 0]);
    const position = Int32Array.from([0, 1, 0, 2]);
    expect(spans(keptBlocks(b, position, stream, 0))).toEqual([[0, 2, [0]]]);
    expect(keptBlocks(b, position, stream, 1)).toBeUndefined();
  });

  it("shifts the rows of each batch's blocks by where its rows start in the merged batch", () => {
    const merged = concatBlocks([blocks([[0, 2]]), undefined, blocks([[1, 3]])], [0, 2, 5]);
    expect(spans(merged)).toEqual([[0, 2, [0]], [6, 3, [0]]]);
  });
});
