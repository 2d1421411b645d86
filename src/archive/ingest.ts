// Applies appended (or replayed) runs to the series heads and seals what the watermark releases.
import type { SeriesRun } from "./batch.js";
import { splitSeriesKey } from "./series-key.js";
import type { BlockPoints } from "./head.js";
import type { ArchiveState, SealedBlock } from "./state.js";

/** Encodes one run of points as a sealed block with the next sequence. */
export function sealBlock(state: ArchiveState, key: string, points: BlockPoints): SealedBlock {
  const block = state.codec.encode(points.timestamps, points.values);
  state.stats.blocksSealed++;
  return { key, block, summary: state.codec.summary(block), sequence: state.nextSequence++, late: points.late };
}

/** Adds runs to their heads (registering new series) and moves sealable points into pending blocks. */
export function applyRuns(state: ArchiveState, runs: readonly SeriesRun[]): { points: number; late: number } {
  let points = 0;
  let late = 0;
  for (const run of runs) {
    const head = state.heads.get(run.key) ?? state.head(run.key);
    if (head.isEmpty && head.newest === -Infinity) {
      const { device, channel } = splitSeriesKey(run.key);
      state.registry.observe(device, channel);
    }
    late += head.add(run.timestamps, run.values, state.policy.lateness);
    points += run.timestamps.length;
    if (head.canSeal(state.policy)) {
      for (const b of head.seal(state.policy, false)) {
        const sealed = sealBlock(state, run.key, b);
        state.pending.push(sealed);
        state.pendingBytes += sealed.block.length;
      }
    }
  }
  state.stats.pointsAppended += points;
  state.stats.latePoints += late;
  return { points, late };
}
