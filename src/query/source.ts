// What the query engine reads, independent of where it is stored: per series, its blocks (with
// header summaries, read lazily) and its not-yet-sealed points. The archive builds these.
import type { BlockSummary, Codec } from "../codec/index.js";
import type { Points } from "./merge.js";

/** A stored block: summary now, points on demand. */
export interface BlockSource {
  summary: BlockSummary;
  /** Seal order: where blocks overlap, the higher sequence wins. */
  sequence: number;
  /** The block's bytes. */
  read(): Promise<Uint8Array>;
  /** The block's points; a block that fails its checks is reported with where it is stored. */
  decode(codec: Codec): Promise<Points>;
}

/** A channel version as the query engine needs it. */
export interface SeriesVersion {
  version: number;
  since: number;
  unit?: string;
  valueType: string;
}

/** One selected series. */
export interface SeriesInput {
  device: string;
  channel: string;
  /** The group this series belongs to (by the query's groupBy). */
  group: Record<string, string>;
  /** Channel versions, oldest first; may be empty (no unit known). */
  versions: readonly SeriesVersion[];
  blocks: readonly BlockSource[];
  /** Unsealed points in the range; newer writes than any block. */
  memory: Points;
}
