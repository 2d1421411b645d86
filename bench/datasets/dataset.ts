// What a benchmark dataset is (named series of points) and how it is cut into blocks the way the
// archive cuts them: consecutive runs of at most `blockPoints` points per series.

/** One series: integral µs timestamps and float64 values, the codec's input types. */
export interface Series {
  readonly name: string;
  readonly timestamps: Float64Array;
  readonly values: Float64Array;
}

/** A dataset is loaded only when the --dataset filter keeps it. */
export interface DatasetSource {
  readonly name: string;
  /** One line on what the data is, for the readable table. */
  readonly note: string;
  /** Report the mean over series of per-series bits too (the project's NAB target is stated that way). */
  readonly seriesMean?: boolean;
  load(): Series[];
}

/** A slice of one series that is encoded as one block. */
export interface Block {
  /** Index of the series in its dataset. */
  readonly series: number;
  readonly timestamps: Float64Array;
  readonly values: Float64Array;
}

/** Cuts every series into blocks of at most `blockPoints` points (views, no copies). */
export function cutBlocks(series: readonly Series[], blockPoints: number): Block[] {
  const blocks: Block[] = [];
  series.forEach((s, index) => {
    for (let start = 0; start < s.values.length; start += blockPoints) {
      const end = Math.min(start + blockPoints, s.values.length);
      blocks.push({ series: index, timestamps: s.timestamps.subarray(start, end), values: s.values.subarray(start, end) });
    }
  });
  return blocks;
}
