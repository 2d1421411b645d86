// Compaction: per partition, merge every segment into one, resolving overlaps (late blocks, replays)
// last-write-wins and cutting full blocks again, so queries go back to answering from headers. Series
// split into several blocks of one block window (edge blocks stored as they arrived, a few minutes
// each) are merged too: one block per window costs one header, not a dozen.
import { unlink } from "node:fs/promises";
import { join } from "node:path";
import { writePartitions, type BlockWithSummary } from "../partition-write.js";
import { saveManifest } from "../manifest.js";
import { cutBlocks } from "../points.js";
import { sortLastWriteWins, concatPoints, type Points } from "../../query/merge.js";
import type { ArchiveState } from "../state.js";
import { blocksBySeries, readLocated, partitions } from "./partition-blocks.js";

export interface CompactionReport {
  partitionsCompacted: number;
  segmentsBefore: number;
  segmentsAfter: number;
  blocksBefore: number;
  blocksAfter: number;
  bytesBefore: number;
  bytesAfter: number;
}

function overlapping(blocks: { summary: { tMin: number; tMax: number } }[]): boolean {
  const sorted = [...blocks].sort((a, b) => a.summary.tMin - b.summary.tMin);
  for (let i = 1; i < sorted.length; i++) if (sorted[i].summary.tMin <= sorted[i - 1].summary.tMax) return true;
  return false;
}

/** Whether two of a series' blocks lie in the same block window (and could be one). */
function fragmented(blocks: { summary: { tMin: number } }[], blockWindow: number): boolean {
  const windows = new Set(blocks.map((b) => Math.floor(b.summary.tMin / blockWindow)));
  return windows.size < blocks.length;
}

/** Compacts partitions with several segments, late, overlapping or fragmented blocks. Run exclusively. */
export async function compact(state: ArchiveState): Promise<CompactionReport> {
  const report: CompactionReport = { partitionsCompacted: 0, segmentsBefore: 0, segmentsAfter: 0, blocksBefore: 0, blocksAfter: 0, bytesBefore: 0, bytesAfter: 0 };
  const quarantined = new Set(state.manifest.quarantine.map((q) => `${q.file}@${q.offset}`));
  const replaced = new Set<string>();
  const written: BlockWithSummary[][] = [];
  for (const segments of partitions(state.manifest.segments).values()) {
    const bySeries = await blocksBySeries(state, segments);
    const all = [...bySeries.values()].flat();
    const window = state.manifest.layout.blockWindow;
    const series = [...bySeries.values()];
    if (segments.length < 2 && !all.some((b) => b.late) && !series.some((b) => overlapping(b) || fragmented(b, window))) continue;
    const out: BlockWithSummary[] = [];
    for (const [key, blocks] of bySeries) {
      const live = blocks.filter((b) => !quarantined.has(`${b.segment.file}@${b.offset}`)).sort((a, b) => a.sequence - b.sequence);
      if (live.length === 0) continue;
      const parts: Points[] = [];
      for (const b of live) parts.push(state.codec.decode(await readLocated(state, b)));
      const merged = sortLastWriteWins(concatPoints(parts));
      const sequence = live[live.length - 1].sequence;
      for (const run of cutBlocks(merged, state.manifest.layout.blockWindow, state.manifest.layout.blockPoints)) {
        const block = state.codec.encode(run.timestamps, run.values);
        out.push({ key, block, sequence, late: false, summary: state.codec.summary(block) });
      }
    }
    for (const s of segments) replaced.add(s.file);
    report.partitionsCompacted++;
    report.segmentsBefore += segments.length;
    report.blocksBefore += all.length;
    report.bytesBefore += segments.reduce((sum, s) => sum + s.bytes, 0);
    written.push(out);
  }
  if (replaced.size === 0) return report;
  let next = state.manifest.nextSegment;
  const entries = (await Promise.all(written.map((blocks) => writePartitions(state.dir, state.manifest.layout, blocks, () => next++)))).flat();
  const committed = {
    ...state.manifest,
    nextSequence: state.nextSequence,
    nextSegment: next,
    segments: state.manifest.segments.filter((s) => !replaced.has(s.file)).concat(entries),
  };
  await saveManifest(state.dir, committed);
  state.manifest = committed;
  for (const file of replaced) {
    state.catalog.delete(file);
    await state.files.forget(join(state.dir, file));
    await unlink(join(state.dir, file)).catch(() => undefined);
  }
  report.segmentsAfter = entries.length;
  report.blocksAfter = entries.reduce((s, e) => s + e.blocks, 0);
  report.bytesAfter = entries.reduce((s, e) => s + e.bytes, 0);
  return report;
}
