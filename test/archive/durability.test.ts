// Durability on real files: what a re-open, a crash (the directory copied while the archive is open,
// as a kill -9 would leave it), a torn WAL tail, a damaged or missing segment, a mismatched layout
// and bad batches do to an archive.
import { describe, it, expect, beforeAll, afterEach } from "vitest";
import { cp, open as openFile, readFile, stat, truncate, unlink, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { Archive, ArchiveError, createCodec, type Aggregate, type Codec, type Query, type ReadingColumns } from "../../src/index.js";
import { TempDirs, T0, SECOND, MINUTE, HOUR, DAY, columnsOf, regular, segmentsOf, segmentIndexRange, walFiles, type Reading } from "../support/archive-fixtures.js";
import { ReferenceStore, expectMatchesModel } from "../support/archive-reference.js";
import { replayWal } from "../../src/archive/wal.js";

const SCALARS: Aggregate[] = ["count", "sum", "min", "max", "avg", "stddev", "first", "last", "rate"];
const OPTIONS = { partitionWindow: "day" as const, blockWindow: 10 * MINUTE, blockPoints: 256, lateness: 10 * SECOND };
const EVERYTHING: Query = { channel: "temp", from: T0 - DAY, to: T0 + 10 * DAY, aggregates: [...SCALARS, "p50", "p99"], percentiles: "exact", groupBy: "device" };

const temp = new TempDirs();
let codec: Codec;
beforeAll(async () => {
  codec = await createCodec();
});
afterEach(() => temp.removeAll());

async function open(dir: string, extra: object = {}): Promise<Archive> {
  return Archive.open(dir, { ...OPTIONS, codec, ...extra });
}

/** A crash: the directory as it is on disk right now, while `dir`'s archive stays open. */
async function crashCopy(dir: string): Promise<string> {
  const copy = await temp.make("iotpipe-crash-");
  await cp(dir, copy, { recursive: true });
  return copy;
}

async function newestWal(dir: string): Promise<string> {
  const files = await walFiles(dir);
  return join(dir, "wal", files[files.length - 1]);
}

/** Where a WAL file's records end (zeros written ahead follow them). */
async function recordsEnd(wal: string): Promise<number> {
  return (await replayWal(dirname(wal), Number(basename(wal).slice(0, 10)), () => {})).goodBytes;
}

/** Writes `bytes` into a file at `position`, as a write that reached the disk there would. */
async function writeAt(file: string, bytes: Uint8Array, position: number): Promise<void> {
  const handle = await openFile(file, "r+");
  try {
    await handle.write(bytes, 0, bytes.length, position);
  } finally {
    await handle.close();
  }
}

/** Batches with everything that makes a replay interesting: several series, rewrites, late points, NaN. */
function batch(n: number): Reading[] {
  const out: Reading[] = [];
  for (let i = 0; i < 200; i++) {
    const t = T0 + n * HOUR + i * 5 * SECOND;
    out.push({ device: "press-1", channel: "temp", t, v: Math.round(Math.sin(i + n) * 1000) / 10 });
    out.push({ device: "press-2", channel: "temp", t: t + 1, v: i % 17 === 0 ? Number.NaN : n * 10 + i / 4 });
  }
  // A rewrite of the batch's first reading and a point far behind the newest (late).
  out.push({ device: "press-1", channel: "temp", t: T0 + n * HOUR, v: -1 - n });
  out.push({ device: "press-1", channel: "temp", t: T0 + n * HOUR - 30 * MINUTE + 3, v: 1000 + n });
  return out;
}

/**
 * Same answer, allowing sums and spreads to differ in their last bits: after a reopen a bucket may be
 * answered from block headers instead of points, which adds the same numbers in another order.
 */
function expectSame(a: Awaited<ReturnType<Archive["query"]>>, b: Awaited<ReturnType<Archive["query"]>>): void {
  const rounded = (r: typeof a) =>
    JSON.parse(JSON.stringify(r.groups, (_, v) => (typeof v === "number" && !Number.isInteger(v) ? Number(v.toPrecision(12)) : v)));
  expect(rounded(a)).toEqual(rounded(b));
  expect(a.unit).toEqual(b.unit);
  expect(a.versions).toEqual(b.versions);
}

describe("re-opening", () => {
  it("returns identical query results after close", async () => {
    const dir = await temp.make();
    const archive = await open(dir);
    await archive.defineDevice("press-1", { zone: "A" });
    await archive.defineDevice("press-2", { zone: "B" });
    for (let n = 0; n < 5; n++) {
      await archive.append(columnsOf(batch(n)));
      if (n === 2) await archive.checkpoint();
    }
    const queries: Query[] = [
      EVERYTHING,
      { ...EVERYTHING, step: "15m", groupBy: "zone", percentiles: "approx" },
      { ...EVERYTHING, devices: "press-?", tags: { zone: "B" }, from: T0 + 90 * MINUTE, to: T0 + 200 * MINUTE, step: 7 * MINUTE },
    ];
    const before = await Promise.all(queries.map((q) => archive.query(q)));
    await archive.close();
    const reopened = await open(dir);
    try {
      const after = await Promise.all(queries.map((q) => reopened.query(q)));
      before.forEach((b, i) => expectSame(after[i], b));
      expect(reopened.registry.device("press-2")?.tags).toEqual({ zone: "B" });
    } finally {
      await reopened.close();
    }
  });

  it("refuses appends and queries once closed", async () => {
    const archive = await open(await temp.make());
    await archive.close();
    await expect(archive.append(columnsOf(batch(0)))).rejects.toMatchObject({ code: "CLOSED" });
    await expect(archive.query(EVERYTHING)).rejects.toMatchObject({ code: "CLOSED" });
  });
});

describe("a crash", () => {
  it("loses no acknowledged batch: the WAL written since the last checkpoint is replayed", async () => {
    const dir = await temp.make();
    const archive = await open(dir);
    const model = new ReferenceStore();
    try {
      for (let n = 0; n < 4; n++) {
        await archive.append(columnsOf(batch(n)));
        model.write(batch(n));
        if (n === 1) await archive.checkpoint();
      }
      const crashed = await open(await crashCopy(dir));
      try {
        expect(crashed.stats.walRecordsReplayed).toBe(2);
        expect(crashed.stats.walTailBytesDropped).toBe(0);
        expectMatchesModel(await crashed.query(EVERYTHING), model.query(EVERYTHING), EVERYTHING);
        expectSame(await crashed.query(EVERYTHING), await archive.query(EVERYTHING));
      } finally {
        await crashed.close();
      }
    } finally {
      await archive.close();
    }
  });

  it("replays a WAL with garbage after its last record up to the garbage", async () => {
    const dir = await temp.make();
    const archive = await open(dir);
    const model = new ReferenceStore();
    try {
      for (let n = 0; n < 3; n++) {
        await archive.append(columnsOf(batch(n)));
        model.write(batch(n));
      }
      const copy = await crashCopy(dir);
      const garbage = Buffer.from("\u0013\u0000\u0000\u0000 not a record, a torn write \u00ff\u00fe");
      // Where the next record would have gone: into the zeros written ahead of the records.
      const wal = await newestWal(copy);
      await writeAt(wal, garbage, await recordsEnd(wal));
      const crashed = await open(copy);
      try {
        expect(crashed.stats.walRecordsReplayed).toBe(3);
        expect(crashed.stats.walTailBytesDropped).toBe(garbage.length);
        expectMatchesModel(await crashed.query(EVERYTHING), model.query(EVERYTHING), EVERYTHING);
        // The torn file is retired: appends and re-opens go on from the replayed state.
        await crashed.append(columnsOf(batch(3)));
        model.write(batch(3));
      } finally {
        await crashed.close();
      }
      const again = await open(copy);
      try {
        expect(again.stats.walTailBytesDropped).toBe(0);
        expectMatchesModel(await again.query(EVERYTHING), model.query(EVERYTHING), EVERYTHING);
      } finally {
        await again.close();
      }
    } finally {
      await archive.close();
    }
  });

  it("replays a WAL cut in the middle of its last record up to that record, keeping every acknowledged one", async () => {
    const dir = await temp.make();
    const archive = await open(dir);
    const acknowledged = new ReferenceStore();
    try {
      for (let n = 0; n < 3; n++) {
        await archive.append(columnsOf(batch(n)));
        acknowledged.write(batch(n));
      }
      const wal = await newestWal(dir);
      const goodBytes = await recordsEnd(wal);
      // The next batch is being written when the machine dies: part of its record reaches the disk,
      // the rest of the file is what was there (the zeros written ahead), or the file ends there.
      await archive.append(columnsOf(batch(3)));
      const recordBytes = (await recordsEnd(wal)) - goodBytes;
      expect(recordBytes).toBeGreaterThan(8);
      const copy = await crashCopy(dir);
      // Its last byte that is not zero: a record torn after it would be whole.
      const bytes = await readFile(wal);
      let lastNotZero = goodBytes + recordBytes - 1;
      while (bytes[lastNotZero] === 0) lastNotZero--;
      for (const cut of [goodBytes + 3, goodBytes + Math.floor(recordBytes / 2), lastNotZero]) {
        for (const rest of ["zeros", "cut off"]) {
          const attempt = await crashCopy(copy);
          const torn = await newestWal(attempt);
          if (rest === "zeros") await writeAt(torn, new Uint8Array(goodBytes + recordBytes - cut), cut);
          else await truncate(torn, cut);
          const crashed = await open(attempt);
          const what = `cut at ${cut}, then ${rest}`;
          try {
            expect(crashed.stats.walRecordsReplayed, what).toBe(3);
            // The torn record's bytes up to its last one not zero.
            expect(crashed.stats.walTailBytesDropped, what).toBeGreaterThan(0);
            expect(crashed.stats.walTailBytesDropped, what).toBeLessThanOrEqual(cut - goodBytes);
            expectMatchesModel(await crashed.query(EVERYTHING), acknowledged.query(EVERYTHING), EVERYTHING, `${what}: `);
          } finally {
            await crashed.close();
          }
        }
      }
    } finally {
      await archive.close();
    }
  });

  it("gives a fresh Archive opening the directory of one that was never closed every acknowledged batch", async () => {
    const dir = await temp.make();
    const first = await open(dir);
    const model = new ReferenceStore();
    for (let n = 0; n < 3; n++) {
      await first.append(columnsOf(batch(n)));
      model.write(batch(n));
      if (n === 0) await first.checkpoint();
    }
    // `first` is abandoned as a crashed process would leave it: its WAL handle open, nothing flushed.
    const second = await open(dir);
    try {
      expect(second.stats.walRecordsReplayed).toBe(2);
      expectMatchesModel(await second.query(EVERYTHING), model.query(EVERYTHING), EVERYTHING);
    } finally {
      await second.close();
      // Release the abandoned archive's file handle; what it writes to the shared directory is moot.
      await first.close().catch(() => undefined);
    }
  });
});

describe("damaged segments", () => {
  /** Two days of two devices in different buckets, closed. */
  async function twoDays(): Promise<{ dir: string; model: ReferenceStore }> {
    const dir = await temp.make();
    const archive = await open(dir, { buckets: 16 });
    const model = new ReferenceStore();
    for (const device of ["press-17", "press-18"]) {
      const readings = regular(device, "temp", T0, MINUTE, 2 * 1440, (i) => (i * 7) % 101);
      await archive.append(columnsOf(readings));
      model.write(readings);
    }
    await archive.close();
    return { dir, model };
  }

  const day = (n: number, devices?: string[]): Query => ({ devices, channel: "temp", from: T0 + n * DAY, to: T0 + (n + 1) * DAY, aggregates: SCALARS, groupBy: "device" });

  async function segmentOf(dir: string, window: string, device: string): Promise<string> {
    const { bucketOf, seriesKey } = await import("../../src/archive/series-key.js");
    const bucket = bucketOf(seriesKey(device, "temp"), 16);
    const entry = (await segmentsOf(dir)).find((s) => s.window === window && s.bucket === bucket);
    expect(entry, `segment of ${device} on ${window}`).toBeDefined();
    return join(dir, entry!.file);
  }

  it("a corrupt byte in a segment's index gives CORRUPT_SEGMENT for queries touching it, while other partitions still answer", async () => {
    const { dir, model } = await twoDays();
    const file = await segmentOf(dir, "2024-03-10", "press-17");
    const bytes = await readFile(file);
    const index = segmentIndexRange(bytes);
    bytes[index.start + Math.floor(index.length / 2)] ^= 0x10;
    await writeFile(file, bytes);

    const archive = await open(dir);
    try {
      const error = await archive.query(day(0)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ArchiveError);
      expect(error).toMatchObject({ code: "CORRUPT_SEGMENT" });
      expect((error as ArchiveError).file).toBe(file);
      // Asking again fails the same way (the failure is not cached as an empty index).
      await expect(archive.query(day(0, ["press-17"]))).rejects.toMatchObject({ code: "CORRUPT_SEGMENT" });
      // The other day, and the other device's partition of the same day, are untouched.
      expectMatchesModel(await archive.query(day(1)), model.query(day(1)), day(1));
      expectMatchesModel(await archive.query(day(0, ["press-18"])), model.query(day(0, ["press-18"])), day(0, ["press-18"]));
    } finally {
      await archive.close();
    }
  });

  it("a torn segment (cut short, footer lost) gives CORRUPT_SEGMENT", async () => {
    const { dir } = await twoDays();
    const file = await segmentOf(dir, "2024-03-11", "press-18");
    await truncate(file, (await stat(file)).size - 5);
    const archive = await open(dir);
    try {
      await expect(archive.query(day(1, ["press-18"]))).rejects.toMatchObject({ name: "ArchiveError", code: "CORRUPT_SEGMENT" });
      await expect(archive.query(day(0, ["press-18"]))).resolves.toBeDefined();
    } finally {
      await archive.close();
    }
  });

  it("a corrupt byte inside a block gives CORRUPT_SEGMENT when a query decodes it", async () => {
    const { dir, model } = await twoDays();
    const file = await segmentOf(dir, "2024-03-10", "press-17");
    const bytes = await readFile(file);
    // The first entry: 16-byte segment header, u16 key length, key, flags and sequence, then the block;
    // flip a byte well inside the block's streams (past its header).
    const block = 16 + 2 + bytes.readUInt16LE(16) + 9;
    bytes[block + bytes.readUInt16LE(block + 6) + 2] ^= 0xff;
    await writeFile(file, bytes);
    const archive = await open(dir);
    try {
      // Answered from headers: the block body is never read.
      expectMatchesModel(await archive.query(day(0, ["press-17"])), model.query(day(0, ["press-17"])), day(0, ["press-17"]));
      const error = await archive.query({ ...day(0, ["press-17"]), aggregates: ["p50"], percentiles: "exact" }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ArchiveError);
      expect(error).toMatchObject({ code: "CORRUPT_SEGMENT", file });
    } finally {
      await archive.close();
    }
  });

  it("a missing segment file gives MISSING_FILE for queries touching it", async () => {
    const { dir, model } = await twoDays();
    const file = await segmentOf(dir, "2024-03-11", "press-17");
    await unlink(file);
    const archive = await open(dir);
    try {
      const error = await archive.query(day(1)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ArchiveError);
      expect(error).toMatchObject({ code: "MISSING_FILE", file });
      expectMatchesModel(await archive.query(day(0)), model.query(day(0)), day(0));
    } finally {
      await archive.close();
    }
  });
});

describe("layout", () => {
  it("opening with a different layout option than the archive was created with gives LAYOUT_MISMATCH", async () => {
    const dir = await temp.make();
    const created = { partitionWindow: "day" as const, buckets: 8, blockWindow: 10 * MINUTE, blockPoints: 256 };
    const archive = await Archive.open(dir, { ...created, codec });
    await archive.append(columnsOf(batch(0)));
    await archive.close();
    for (const different of [{ partitionWindow: "hour" as const }, { buckets: 16 }, { blockWindow: HOUR }, { blockPoints: 8192 }]) {
      const error = await Archive.open(dir, { ...created, ...different, codec }).catch((e: unknown) => e);
      expect(error, JSON.stringify(different)).toBeInstanceOf(ArchiveError);
      expect(error, JSON.stringify(different)).toMatchObject({ code: "LAYOUT_MISMATCH" });
    }
    // Without layout options the archive opens with the layout it was created with.
    const reopened = await Archive.open(dir, { codec });
    try {
      expect(reopened.layout).toEqual(created);
      const model = new ReferenceStore();
      model.write(batch(0));
      expectMatchesModel(await reopened.query(EVERYTHING), model.query(EVERYTHING), EVERYTHING);
    } finally {
      await reopened.close();
    }
  });
});

describe("bad batches", () => {
  const good = (): ReadingColumns => columnsOf(batch(0));
  const cases: [string, () => ReadingColumns][] = [
    ["columns of different lengths", () => ({ ...good(), values: good().values.subarray(1) })],
    ["a device column shorter than the timestamps", () => ({ ...good(), device: good().device.subarray(0, 5) })],
    ["a fractional timestamp", () => withAt(good(), 7, { t: T0 + 0.5 })],
    ["a NaN timestamp", () => withAt(good(), 0, { t: Number.NaN })],
    ["an infinite timestamp", () => withAt(good(), 3, { t: Infinity })],
    ["a timestamp beyond 2^53", () => withAt(good(), 3, { t: 2 ** 60 })],
    ["a device index outside the dictionary", () => withAt(good(), 11, { device: 2 })],
    ["a channel index outside the dictionary", () => withAt(good(), 11, { channel: 1 })],
    ["a device name containing NUL", () => ({ ...good(), devices: ["press\u00001", "press-2"] })],
    ["a channel name containing NUL", () => ({ ...good(), channels: ["te\u0000mp"] })],
    ["an empty device name", () => ({ ...good(), devices: ["", "press-2"] })],
  ];

  function withAt(c: ReadingColumns, i: number, change: { t?: number; device?: number; channel?: number }): ReadingColumns {
    const out = { ...c, timestamps: c.timestamps.slice(), device: c.device.slice(), channel: c.channel.slice() };
    if (change.t !== undefined) out.timestamps[i] = change.t;
    if (change.device !== undefined) out.device[i] = change.device;
    if (change.channel !== undefined) out.channel[i] = change.channel;
    return out;
  }

  it.each(cases)("%s gives BAD_BATCH, stores none of the batch and leaves the archive usable", async (_, make) => {
    const dir = await temp.make();
    const archive = await open(dir);
    try {
      await archive.append(columnsOf(batch(1)));
      const error = await archive.append(make()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ArchiveError);
      expect(error).toMatchObject({ code: "BAD_BATCH" });
      expect(archive.stats.pointsAppended).toBe(batch(1).length);
      await archive.append(good());
      const model = new ReferenceStore();
      model.write(batch(1));
      model.write(batch(0));
      expectMatchesModel(await archive.query(EVERYTHING), model.query(EVERYTHING), EVERYTHING);
      await archive.close();
      const reopened = await open(dir);
      expectMatchesModel(await reopened.query(EVERYTHING), model.query(EVERYTHING), EVERYTHING);
      await reopened.close();
    } finally {
      await archive.close();
    }
  });
});

describe("late points", () => {
  it("are counted in append()'s result and in stats, and are still queryable", async () => {
    const dir = await temp.make();
    const archive = await open(dir);
    const model = new ReferenceStore();
    const write = async (readings: Reading[]) => {
      model.write(readings);
      return archive.append(columnsOf(readings));
    };
    const on = (s: number, v: number): Reading => ({ device: "press-1", channel: "temp", t: T0 + s * SECOND, v });
    expect(await write(regular("press-1", "temp", T0, SECOND, 101, (i) => i))).toMatchObject({ points: 101, late: 0 });
    // Newest is 100 s and the lateness 10 s: 95 s is in time; 5 s (a rewrite) and 50.5 s are late.
    expect(await write([on(95, -95), on(5, -5), on(50.5, 50.5)])).toMatchObject({ points: 3, late: 2 });
    expect(archive.stats.latePoints).toBe(2);
    // The clock moved to 200 s: 150 s is late now, whatever it was before.
    expect(await write([on(200, 200), on(150, 150), on(199, 199)])).toMatchObject({ points: 3, late: 1 });
    expect(archive.stats.latePoints).toBe(3);
    expect(archive.stats.pointsAppended).toBe(107);
    const q: Query = { channel: "temp", from: T0, to: T0 + HOUR, aggregates: SCALARS, percentiles: "exact" };
    expectMatchesModel(await archive.query(q), model.query(q), q);
    const rewritten: Query = { channel: "temp", from: T0 + 5 * SECOND, to: T0 + 6 * SECOND, aggregates: ["count", "first"] };
    expect((await archive.query(rewritten)).groups[0].rows[0].values).toEqual({ count: 1, first: -5 });
    await archive.checkpoint();
    expectMatchesModel(await archive.query(q), model.query(q), q);
    await archive.close();
    const reopened = await open(dir);
    try {
      expectMatchesModel(await reopened.query(q), model.query(q), q);
      expect((await reopened.query(rewritten)).groups[0].rows[0].values).toEqual({ count: 1, first: -5 });
    } finally {
      await reopened.close();
    }
  });
});
