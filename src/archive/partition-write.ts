// Writes sealed blocks as one new segment per partition they fall in, and describes each for the
// manifest. Files are durable when this resolves; they are live only once the manifest names them.
import { join } from "node:path";
import { bucketOf } from "./series-key.js";
import { windowOf, type Layout, type Window } from "./layout.js";
import { writeSegment, type BlockToWrite } from "./segment-write.js";
import type { SegmentEntry } from "./manifest.js";
import type { BlockSummary } from "../codec/index.js";

export interface BlockWithSummary extends BlockToWrite {
  summary: BlockSummary;
}

/**
 * Segment file path (relative to the archive) for partition (window, bucket), segment number `n`.
 * One flat directory: a directory per window would cost a filesystem block per day for nothing.
 */
export function segmentPath(window: string, bucket: number, n: number): string {
  return join("data", `${window}.${String(bucket).padStart(5, "0")}.${String(n).padStart(8, "0")}.seg`);
}

/** Writes `blocks` grouped by partition; `nextSegment` numbers the files. Returns the new entries. */
export async function writePartitions(
  dir: string,
  layout: Layout,
  blocks: readonly BlockWithSummary[],
  nextSegment: () => number,
): Promise<SegmentEntry[]> {
  const groups = new Map<string, { window: Window; bucket: number; blocks: BlockWithSummary[] }>();
  // A checkpoint's blocks nearly all fall in one window, so a block's window is worked out again only
  // when it leaves the last one's (two Dates and an ISO string a block took 25–65 ms for 32 000
  // blocks, on the thread that appends).
  let window: Window | undefined;
  for (const b of blocks) {
    const t = b.summary.tMin;
    if (!window || t < window.start || t >= window.end) window = windowOf(t, layout.partitionWindow);
    const bucket = bucketOf(b.key, layout.buckets);
    const id = `${window.name}/${bucket}`;
    let g = groups.get(id);
    if (!g) groups.set(id, (g = { window, bucket, blocks: [] }));
    g.blocks.push(b);
  }
  const entries: SegmentEntry[] = [];
  for (const g of groups.values()) {
    g.blocks.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.summary.tMin - b.summary.tMin));
    const file = segmentPath(g.window.name, g.bucket, nextSegment());
    const bytes = await writeSegment(join(dir, file), g.blocks);
    entries.push({
      file,
      window: g.window.name,
      windowStart: g.window.start,
      windowEnd: g.window.end,
      bucket: g.bucket,
      blocks: g.blocks.length,
      bytes,
      points: g.blocks.reduce((s, b) => s + b.summary.count, 0),
      minTime: Math.min(...g.blocks.map((b) => b.summary.tMin)),
      maxTime: Math.max(...g.blocks.map((b) => b.summary.tMax)),
    });
  }
  return entries;
}
