// A checkpoint takes every head's points aside in one synchronous step and seals them a few at a time
// afterwards, appends going on in between: a reading written again at one timestamp meanwhile is the
// newer write, during the checkpoint, after it and after a restart, even when its head could seal it
// before the checkpoint has sealed the older one. Abandoned while it seals, it leaves them to the WAL.
import { describe, it, expect, afterEach } from "vitest";
import { Archive, type Query } from "../../src/index.js";
import { TempDirs, T0, MINUTE, HOUR, columnsOf } from "../support/archive-fixtures.js";

const dirs = new TempDirs();
afterEach(() => dirs.removeAll());

/** Enough series that sealing them takes many slices. */
const SERIES = 20_000;
const LAST = `dev-${SERIES - 1}`;

describe("a checkpoint while readings arrive", () => {
  it("keeps the later of two writes at one timestamp when the later one arrives while it seals", async () => {
    const dir = await dirs.make();
    const archive = await Archive.open(dir, { lateness: MINUTE });
    await archive.append(columnsOf(Array.from({ length: SERIES }, (_, i) => ({ device: `dev-${i}`, channel: "temp", t: T0, v: 1 }))));
    expect(archive.stats.blocksSealed).toBe(0);
    const checkpoint = archive.checkpoint();
    // Sealing has begun: every head's points were taken aside, the last series' are sealed last.
    while (archive.stats.blocksSealed === 0) await new Promise((r) => setImmediate(r));
    expect(archive.stats.blocksSealed).toBeLessThan(SERIES);
    // The last series' reading at T0 again (the newer write), and one past the hour and the lateness:
    // its head may seal T0's hour at once.
    await archive.append(columnsOf([{ device: LAST, channel: "temp", t: T0, v: 2 }, { device: LAST, channel: "temp", t: T0 + HOUR + 2 * MINUTE, v: 5 }]));
    const atT0: Query = { devices: [LAST], channel: "temp", from: T0, to: T0 + 1, aggregates: ["count", "max"] };
    const all: Query = { channel: "temp", from: T0, to: T0 + 2 * HOUR, aggregates: ["count"] };
    const read = async (a: Archive, q: Query) => (await a.query(q)).groups[0].rows[0].values;
    expect(await read(archive, atT0)).toEqual({ count: 1, max: 2 });
    expect(await read(archive, all)).toEqual({ count: SERIES + 1 });
    await checkpoint;
    // The newer write's own block, sealed once the checkpoint's are.
    while (archive.stats.blocksSealed < SERIES + 1) await new Promise((r) => setImmediate(r));
    expect(await read(archive, atT0)).toEqual({ count: 1, max: 2 });
    await archive.close();
    const reopened = await Archive.open(dir, { lateness: MINUTE });
    expect(await read(reopened, atT0)).toEqual({ count: 1, max: 2 });
    expect(await read(reopened, all)).toEqual({ count: SERIES + 1 });
    expect((await reopened.verify()).clean).toBe(true);
    await reopened.close();
  });

  it("leaves what it took aside to the WAL when the archive is abandoned while it seals", async () => {
    const dir = await dirs.make();
    const archive = await Archive.open(dir, { lateness: MINUTE });
    await archive.append(columnsOf(Array.from({ length: SERIES }, (_, i) => ({ device: `dev-${i}`, channel: "temp", t: T0, v: 1 }))));
    const checkpoint = archive.checkpoint();
    while (archive.stats.blocksSealed === 0) await new Promise((r) => setImmediate(r));
    await archive.abandon();
    await checkpoint;
    expect(archive.stats.checkpoints).toBe(0);
    // The new owner replays the WAL the checkpoint switched away from.
    const reopened = await Archive.open(dir, { lateness: MINUTE });
    expect((await reopened.query({ channel: "temp", from: T0, to: T0 + HOUR, aggregates: ["count", "max"] })).groups[0].rows[0].values).toEqual({ count: SERIES, max: 1 });
    expect((await reopened.verify()).clean).toBe(true);
    await reopened.close();
  });
});
