// Retention: drop whole partitions whose window ended before a cut-off. Run exclusively.
import { unlink } from "node:fs/promises";
import { join } from "node:path";
import { saveManifest } from "../manifest.js";
import type { ArchiveState } from "../state.js";

export interface RetentionReport {
  segmentsDropped: number;
  bytesDropped: number;
  pointsDropped: number;
}

/** Drops every partition whose window ends at or before `before` (µs). */
export async function dropBefore(state: ArchiveState, before: number): Promise<RetentionReport> {
  const dropped = state.manifest.segments.filter((s) => s.windowEnd <= before);
  const report = {
    segmentsDropped: dropped.length,
    bytesDropped: dropped.reduce((s, e) => s + e.bytes, 0),
    pointsDropped: dropped.reduce((s, e) => s + e.points, 0),
  };
  if (dropped.length === 0) return report;
  const gone = new Set(dropped.map((s) => s.file));
  const committed = {
    ...state.manifest,
    nextSequence: state.nextSequence,
    segments: state.manifest.segments.filter((s) => !gone.has(s.file)),
    quarantine: state.manifest.quarantine.filter((q) => !gone.has(q.file)),
  };
  await saveManifest(state.dir, committed);
  state.manifest = committed;
  for (const file of gone) {
    state.catalog.delete(file);
    await state.files.forget(join(state.dir, file));
    await unlink(join(state.dir, file)).catch(() => undefined);
  }
  return report;
}
