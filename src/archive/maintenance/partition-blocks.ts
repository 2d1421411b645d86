// Reads a partition's (or a segment's) blocks with their segment, for the maintenance jobs.
import { join } from "node:path";
import { segmentIndex } from "../catalog.js";
import type { SegmentEntry } from "../manifest.js";
import type { ArchiveState, CatalogBlock } from "../state.js";

export interface LocatedBlock extends CatalogBlock {
  segment: SegmentEntry;
}

/** Every block of `segments`, by series. */
export async function blocksBySeries(state: ArchiveState, segments: readonly SegmentEntry[]): Promise<Map<string, LocatedBlock[]>> {
  const out = new Map<string, LocatedBlock[]>();
  for (const segment of segments) {
    for (const [key, blocks] of await segmentIndex(state, segment.file)) {
      const list = out.get(key) ?? [];
      for (const b of blocks) list.push({ ...b, segment });
      out.set(key, list);
    }
  }
  return out;
}

export function readLocated(state: ArchiveState, b: LocatedBlock): Promise<Uint8Array> {
  return state.files.read(join(state.dir, b.segment.file), b.offset, b.length);
}

/** Segments grouped by partition (window/bucket). */
export function partitions(segments: readonly SegmentEntry[]): Map<string, SegmentEntry[]> {
  const out = new Map<string, SegmentEntry[]>();
  for (const s of segments) {
    const id = `${s.window}/${s.bucket}`;
    const list = out.get(id);
    if (list) list.push(s);
    else out.set(id, [s]);
  }
  return out;
}
