// An hour boundary makes every series of a fleet sealable at once: the blocks are sealed between
// appends, a slice at a time, and queries see every point throughout, in a head or in a block.
import { describe, it, expect, afterEach } from "vitest";
import { Archive, type Query } from "../../src/index.js";
import { TempDirs, T0, SECOND, MINUTE, HOUR, columnsOf, type Reading } from "../support/archive-fixtures.js";

const dirs = new TempDirs();
afterEach(() => dirs.removeAll());

const SERIES = 3000;
const tick = (t: number): Reading[] => Array.from({ length: SERIES }, (_, i) => ({ device: `dev-${i}`, channel: "temp", t: t + i, v: (i % 97) / 4 }));
const all: Query = { channel: "temp", from: T0, to: T0 + 3 * HOUR, aggregates: ["count", "sum", "max"] };

describe("sealing at an hour boundary", () => {
  it("seals every series' hour between appends, and queries see every point before, during and after", async () => {
    const dir = await dirs.make();
    const archive = await Archive.open(dir, { lateness: MINUTE });
    for (let s = 0; s < 5; s++) await archive.append(columnsOf(tick(T0 + s * SECOND)));
    expect(archive.stats.blocksSealed).toBe(0);
    // Past the hour plus the lateness: every series' first hour becomes sealable.
    await archive.append(columnsOf(tick(T0 + HOUR + 2 * MINUTE)));
    const expected = { count: 6 * SERIES, sum: 6 * tick(0).reduce((s, r) => s + r.v, 0), max: 96 / 4 };
    const during = (await archive.query(all)).groups[0].rows[0].values;
    expect(during).toMatchObject({ count: expected.count, max: expected.max });
    expect(during.sum).toBeCloseTo(expected.sum, 6);
    while (archive.stats.blocksSealed < SERIES) await new Promise((r) => setImmediate(r));
    expect(archive.stats.blocksSealed).toBe(SERIES);
    const after = (await archive.query(all)).groups[0].rows[0].values;
    expect(after).toEqual(during);
    await archive.close();
    const reopened = await Archive.open(dir);
    expect((await reopened.query(all)).groups[0].rows[0].values).toEqual(after);
    await reopened.close();
  });
});
