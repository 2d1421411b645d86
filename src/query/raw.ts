// Raw points of the selected series in a range, overlaps resolved last-write-wins: what exports read.
import type { Codec } from "../codec/index.js";
import { sortLastWriteWins, concatPoints, type Points } from "./merge.js";
import type { SeriesInput } from "./source.js";

/** One series' points in [from, to), sorted, one value per timestamp. */
export interface SeriesPoints extends Points {
  device: string;
  channel: string;
}

export async function* rawPoints(inputs: readonly SeriesInput[], codec: Codec, from: number, to: number): AsyncGenerator<SeriesPoints> {
  for (const s of inputs) {
    const parts: Points[] = [];
    for (const b of [...s.blocks].sort((x, y) => x.sequence - y.sequence)) {
      if (b.summary.tMax < from || b.summary.tMin >= to) continue;
      parts.push(await b.decode(codec));
    }
    parts.push(s.memory);
    const merged = sortLastWriteWins(concatPoints(parts));
    let lo = 0;
    while (lo < merged.timestamps.length && merged.timestamps[lo] < from) lo++;
    let hi = lo;
    while (hi < merged.timestamps.length && merged.timestamps[hi] < to) hi++;
    if (hi > lo) yield { device: s.device, channel: s.channel, timestamps: merged.timestamps.subarray(lo, hi), values: merged.values.subarray(lo, hi) };
  }
}
