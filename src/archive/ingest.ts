// Applies appended (or replayed) runs to the series heads and seals what the watermark releases.
import type { SeriesRuns } from "./batch.js";
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
export function applyRuns(state: ArchiveState, { series, starts, timestamps, values }: SeriesRuns): { points: number; late: number } {
  let late = 0;
  for (let i = 0; i < series.length; i++) {
    const head = state.headOf(series[i]);
    const key = head.key;
    if (head.isEmpty && head.newest === -Infinity) {
      const { device, channel } = splitSeriesKey(key);
      state.registry.observe(device, channel);
    }
    late += head.add(timestamps, values, starts[i], starts[i + 1], state.policy.lateness);
    if (head.canSeal(state.policy)) {
      for (const b of head.seal(state.policy, false)) {
        const sealed = sealBlock(state, key, b);
        state.pending.push(sealed);
        state.pendingBytes += sealed.block.length;
      }
    }
  }
  const points = starts[series.length];
  state.stats.pointsAppended += points;
  state.stats.latePoints += late;
  return { points, late };
}
