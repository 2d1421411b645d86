// Integrity check: read every segment's index and decode every block (both checksums). Bad blocks
// can be quarantined: queries then leave them out and say so, instead of failing.
import { saveManifest } from "../manifest.js";
import { segmentIndex } from "../catalog.js";
import { readLocated } from "./partition-blocks.js";
import type { ArchiveState } from "../state.js";

/** One problem found. `offset` is absent when the segment's index itself is unreadable. */
export interface IntegrityProblem {
  file: string;
  offset?: number;
  series?: string;
  reason: string;
}

export interface IntegrityReport {
  clean: boolean;
  segments: number;
  blocks: number;
  points: number;
  problems: IntegrityProblem[];
  quarantined: number;
}

/** Verifies every block; with `quarantine`, records bad blocks in the manifest. Run exclusively. */
export async function verify(state: ArchiveState, quarantine: boolean): Promise<IntegrityReport> {
  const report: IntegrityReport = { clean: true, segments: 0, blocks: 0, points: 0, problems: [], quarantined: 0 };
  for (const segment of state.manifest.segments) {
    report.segments++;
    let index;
    try {
      index = await segmentIndex(state, segment.file);
    } catch (err) {
      report.problems.push({ file: segment.file, reason: (err as Error).message });
      continue;
    }
    for (const [key, blocks] of index) {
      for (const b of blocks) {
        report.blocks++;
        try {
          report.points += state.codec.decode(await readLocated(state, { ...b, segment })).values.length;
        } catch (err) {
          report.problems.push({ file: segment.file, offset: b.offset, series: key.replace("\u0000", "/"), reason: (err as Error).message });
        }
      }
    }
  }
  report.clean = report.problems.length === 0;
  const known = new Set(state.manifest.quarantine.map((q) => `${q.file}@${q.offset}`));
  const fresh = report.problems.filter((p) => p.offset !== undefined && !known.has(`${p.file}@${p.offset}`));
  if (quarantine && fresh.length > 0) {
    const committed = {
      ...state.manifest,
      nextSequence: state.nextSequence,
      quarantine: state.manifest.quarantine.concat(fresh.map((p) => ({ file: p.file, offset: p.offset!, reason: p.reason }))),
    };
    await saveManifest(state.dir, committed);
    state.manifest = committed;
    report.quarantined = fresh.length;
  }
  return report;
}
