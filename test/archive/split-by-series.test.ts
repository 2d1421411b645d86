// splitBySeries: a batch becomes one run per series, readings in arrival order within each run, with
// a dense table of series numbers for the usual small dictionaries and first-seen numbering past it.
import { describe, expect, it } from "vitest";
import { splitBySeries, type ReadingColumns } from "../../src/archive/batch.js";
import { columnsOf as batchOf, type Row } from "../support/columns.js";

/** Each series' points, by key, in the order splitBySeries gives them. */
function runsOf(batch: ReadingColumns): Record<string, [number, number][]> {
  const { series, starts, timestamps, values } = splitBySeries(batch);
  const out: Record<string, [number, number][]> = {};
  series.forEach((s, r) => {
    out[s.key.replace("\u0000", "/")] = Array.from({ length: starts[r + 1] - starts[r] }, (_, k) => [timestamps[starts[r] + k], values[starts[r] + k]]);
  });
  return out;
}

describe("splitting a batch by series", () => {
  const rows: Row[] = [
    [1, 0, 30, 1],
    [0, 1, 10, 2],
    [1, 0, 20, 3],
    [0, 0, 40, 4],
    [0, 1, 5, 5],
  ];

  it("gives each series one run holding its readings in arrival order", () => {
    expect(runsOf(batchOf(["a", "b"], ["t", "p"], rows))).toEqual({
      "a/t": [[40, 4]],
      "a/p": [
        [10, 2],
        [5, 5],
      ],
      "b/t": [
        [30, 1],
        [20, 3],
      ],
    });
  });

  it("gives the same runs when its dictionaries name more series than a dense table holds", () => {
    // 1 100 devices × 1 000 channels: past the 2^20 pairs a table per pair may take.
    const devices = Array.from({ length: 1100 }, (_, i) => `d${i}`);
    const channels = Array.from({ length: 1000 }, (_, i) => `c${i}`);
    const wide = rows.map(([d, c, t, v]): Row => [d * 1000, c * 999, t, v]);
    expect(runsOf(batchOf(devices, channels, wide))).toEqual({
      "d1000/c0": [
        [30, 1],
        [20, 3],
      ],
      "d0/c999": [
        [10, 2],
        [5, 5],
      ],
      "d0/c0": [[40, 4]],
    });
  });

  it("hands back the batch's own columns for a batch of one series", () => {
    const batch = batchOf(["a"], ["t"], [
      [0, 0, 2, 1],
      [0, 0, 1, 2],
    ]);
    const split = splitBySeries(batch);
    expect(split.timestamps).toBe(batch.timestamps);
    expect([...split.starts]).toEqual([0, 2]);
  });
});
