// Every dataset the codec bench knows, in report order: real data first, then the synthetic matrix.
import { realDatasets } from "./real.js";
import { syntheticDatasets } from "./synthetic.js";
import type { DatasetSource } from "./dataset.js";

export type { Block, DatasetSource, Series } from "./dataset.js";
export { cutBlocks } from "./dataset.js";

/** All datasets whose name contains `filter` (all when it is undefined). */
export function selectDatasets(syntheticSeries: number, filter?: string): DatasetSource[] {
  return [...realDatasets, ...syntheticDatasets(syntheticSeries)].filter((d) => filter === undefined || d.name.includes(filter));
}
