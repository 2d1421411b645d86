// A checkpoint's blocks go to one new segment per partition (time window × series bucket) they fall in,
// however the windows of consecutive blocks alternate.
import { describe, it, expect, afterAll } from "vitest";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { createCodec } from "../../src/index.js";
import { writePartitions } from "../../src/archive/partition-write.js";
import { readSegmentIndex } from "../../src/archive/segment-read.js";
import { bucketOf } from "../../src/archive/series-key.js";
import { TempDirs, T0, DAY } from "../support/archive-fixtures.js";

const temp = new TempDirs();
afterAll(() => temp.removeAll());

describe("writing a checkpoint's blocks by partition", () => {
  it("makes one segment per window and bucket when consecutive blocks alternate between two days", async () => {
    const codec = await createCodec();
    const dir = await temp.make("iotpipe-partitions-");
    await mkdir(join(dir, "data"));
    const layout = { partitionWindow: "day" as const, buckets: 4, blockWindow: 3_600_000_000, blockPoints: 8192 };
    const blocks = Array.from({ length: 40 }, (_, i) => {
      const t = T0 + (i % 2) * DAY + i;
      const block = codec.encode(Float64Array.of(t), Float64Array.of(i));
      return { key: `dev-${i}\0temp`, block, sequence: i + 1, late: false, summary: codec.summary(block) };
    });
    let next = 1;
    const entries = await writePartitions(dir, layout, blocks, () => next++);
    const expected = new Set(blocks.map((b, i) => `${i % 2 === 0 ? "2024-03-10" : "2024-03-11"}/${bucketOf(b.key, layout.buckets)}`));
    expect(entries.map((e) => `${e.window}/${e.bucket}`).sort()).toEqual([...expected].sort());
    expect(entries.reduce((n, e) => n + e.blocks, 0)).toBe(40);
    for (const e of entries) {
      const index = await readSegmentIndex(join(dir, e.file));
      expect(index).toHaveLength(e.blocks);
      for (const b of index) expect(blocks[b.sequence - 1].summary.tMin).toBeGreaterThanOrEqual(e.windowStart);
      for (const b of index) expect(blocks[b.sequence - 1].summary.tMin).toBeLessThan(e.windowEnd);
    }
  });
});
