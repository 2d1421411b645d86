// A query that runs while a checkpoint moves its points from memory into segments must still see
// every point: before the checkpoint they are in memory, after it in the new segments, and the query
// must read one or the other. Loading a segment index is held open here so the checkpoint commits
// in the middle of the query, as it can when many cold indexes are read.
import { describe, it, expect, vi, beforeAll, afterAll } from "vitest";
import { Archive, createCodec, type Codec, type Query } from "../../src/index.js";
import { TempDirs, T0, MINUTE, HOUR, DAY, columnsOf, regular } from "../support/archive-fixtures.js";

/** While set, reading a segment index waits for it. */
const gate: { held?: Promise<void> } = {};

vi.mock("../../src/archive/segment-read.js", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../src/archive/segment-read.js")>();
  return {
    ...real,
    readSegmentIndex: async (file: string) => {
      if (gate.held) await gate.held;
      return real.readSegmentIndex(file);
    },
  };
});

const temp = new TempDirs();
let codec: Codec;
beforeAll(async () => {
  codec = await createCodec();
});
afterAll(() => temp.removeAll());

describe("a query during a checkpoint", () => {
  it("sees the points the checkpoint moves from memory into segments", async () => {
    const dir = await temp.make("iotpipe-race-");
    let archive = await Archive.open(dir, { codec });
    await archive.append(columnsOf(regular("press-1", "temp", T0, MINUTE, 1440, () => 1)));
    await archive.close();
    // Re-opened, the day's segment index is not loaded yet; the next day's readings are in memory.
    archive = await Archive.open(dir, { codec });
    try {
      await archive.append(columnsOf(regular("press-1", "temp", T0 + DAY, MINUTE, 60, () => 2)));
      const q: Query = { channel: "temp", from: T0, to: T0 + DAY + HOUR, aggregates: ["count", "sum"] };
      let release!: () => void;
      gate.held = new Promise((resolve) => (release = resolve));
      const answer = archive.query(q);
      await archive.checkpoint();
      gate.held = undefined;
      release();
      expect((await answer).groups[0].rows[0].values).toEqual({ count: 1500, sum: 1440 + 120 });
      expect((await archive.query(q)).groups[0].rows[0].values).toEqual({ count: 1500, sum: 1560 });
    } finally {
      gate.held = undefined;
      await archive.close();
    }
  });
});
