import { describe, it, expect } from "vitest";
import { mergeBatches } from "../../src/pipeline/merge-batches.js";
import type { FlaggedColumns } from "../../src/ingest/batch-builder.js";
import { columnsOf as batch } from "../support/columns.js";

const readings = (b: FlaggedColumns) =>
  Array.from(b.timestamps, (t, i) => [b.devices[b.device[i]], b.channels[b.channel[i]], t, b.values[i], b.flags[i]]);

describe("merging batches", () => {
  it("keeps every reading in order with names remapped into one dictionary", () => {
    const a = batch(["press-1", "press-2"], ["temp"], [[1, 0, 10, 1.5, 0], [0, 0, 11, 2.5, 2]]);
    const b = batch(["press-2", "oven-1"], ["rpm", "temp"], [[0, 1, 12, 3.5, 0], [1, 0, 13, 4.5, 1]]);
    const merged = mergeBatches([a, b]);
    expect(readings(merged)).toEqual([...readings(a), ...readings(b)]);
    expect(merged.devices).toEqual(["press-1", "press-2", "oven-1"]);
    expect(merged.channels).toEqual(["temp", "rpm"]);
  });

  it("returns a single batch as it is", () => {
    const a = batch(["d"], ["c"], [[0, 0, 1, 1, 0]]);
    expect(mergeBatches([a])).toBe(a);
  });
});
