// explain() proves that queries touch only what they must: partitions are pruned by time window and
// series bucket, whole blocks are answered from their headers, and only the edge blocks are decoded.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { rename } from "node:fs/promises";
import { join } from "node:path";
import { Archive, createCodec, type Aggregate, type Codec, type Query } from "../../src/index.js";
import { bucketOf, seriesKey } from "../../src/archive/series-key.js";
import { TempDirs, MINUTE, HOUR, DAY, columnsOf, regular, segmentsOf, type Reading } from "../support/archive-fixtures.js";
import { ReferenceStore, expectMatchesModel } from "../support/archive-reference.js";

const BUCKETS = 16;
const YEAR_START = Date.UTC(2023, 0, 1) * 1000;
const DAYS = 365;
const SCALARS: Aggregate[] = ["count", "sum", "min", "max", "avg", "stddev", "first", "last", "rate"];
/** Two devices whose series fall in different buckets (checked below). */
const A = "press-17";
const B = "press-18";

/** A year at one reading a minute: decimals with a daily cycle, so blocks are cheap to encode. */
function year(device: string, phase: number): Reading[] {
  return regular(device, "temp", YEAR_START, MINUTE, DAYS * 1440, (i) => Math.round((50 + 10 * Math.sin((i + phase) / 229)) * 100) / 100);
}

const temp = new TempDirs();
const model = new ReferenceStore();
let codec: Codec;
let dir: string;
let archive: Archive;

beforeAll(async () => {
  expect(bucketOf(seriesKey(A, "temp"), BUCKETS)).not.toBe(bucketOf(seriesKey(B, "temp"), BUCKETS));
  codec = await createCodec();
  dir = await temp.make("iotpipe-pruning-");
  archive = await Archive.open(dir, { partitionWindow: "day", buckets: BUCKETS, codec });
  for (const [device, phase] of [[A, 0], [B, 77]] as const) {
    const readings = year(device, phase);
    // A month per batch, as a collector would send them.
    for (let at = 0; at < readings.length; at += 31 * 1440) await archive.append(columnsOf(readings.slice(at, at + 31 * 1440)));
    model.write(readings);
  }
  await archive.close();
  archive = await Archive.open(dir, { codec });
}, 120_000);

afterAll(async () => {
  await archive.close();
  await temp.removeAll();
});

const day = (n: number) => YEAR_START + n * DAY;

describe("partition pruning", () => {
  it("lays a year of two devices out as one segment per device-day", async () => {
    const segments = await segmentsOf(dir);
    expect(segments).toHaveLength(2 * DAYS);
    expect(new Set(segments.map((s) => s.window)).size).toBe(DAYS);
  });

  it("opens one partition for a one-hour query and decodes at most the two edge blocks", async () => {
    const q: Query = { devices: [A], channel: "temp", from: day(100) + 10 * HOUR + 30 * MINUTE, to: day(100) + 11 * HOUR + 30 * MINUTE, aggregates: SCALARS };
    const plan = await archive.explain(q);
    expect(plan).toMatchObject({ series: 1, partitionsOpened: 1, segmentsRead: 1, blocksInRange: 2 });
    expect(plan.blocksDecoded).toBeLessThanOrEqual(2);
    const r = await archive.query(q);
    expect(r.plan.pointsDecoded).toBeLessThanOrEqual(2 * 60);
    expectMatchesModel(r, model.query(q), q);
  });

  it("answers an hour aligned to the block window from one header", async () => {
    const q: Query = { devices: [A], channel: "temp", from: day(200) + 5 * HOUR, to: day(200) + 6 * HOUR, aggregates: SCALARS };
    const r = await archive.query(q);
    expect(r.plan).toMatchObject({ partitionsOpened: 1, blocksInRange: 1, blocksFromHeaders: 1, blocksDecoded: 0, pointsDecoded: 0 });
    expectMatchesModel(r, model.query(q), q);
  });

  it("opens one partition per series bucket for a one-hour query over both devices", async () => {
    const q: Query = { channel: "temp", from: day(3) + 30 * MINUTE, to: day(3) + 90 * MINUTE, aggregates: SCALARS, groupBy: "device" };
    const r = await archive.query(q);
    expect(r.plan).toMatchObject({ series: 2, partitionsInRange: 2, partitionsOpened: 2 });
    expect(r.plan.blocksDecoded).toBeLessThanOrEqual(2 * 2);
    expectMatchesModel(r, model.query(q), q);
  });

  it("answers a whole-day aggregate from block headers without decoding anything", async () => {
    for (const step of [undefined, "1h", "6h", "1d"]) {
      const q: Query = { devices: [A], channel: "temp", from: day(42), to: day(43), step, aggregates: SCALARS };
      const r = await archive.query(q);
      expect(r.plan, `step ${step}`).toMatchObject({ partitionsOpened: 1, blocksInRange: 24, blocksFromHeaders: 24, blocksDecoded: 0, pointsDecoded: 0 });
      expectMatchesModel(r, model.query(q), q, `step ${step}: `);
    }
  });

  it("answers a year of daily aggregates from headers alone", async () => {
    const q: Query = { devices: [B], channel: "temp", from: day(0), to: day(DAYS), step: "1d", aggregates: SCALARS };
    const r = await archive.query(q);
    expect(r.plan).toMatchObject({ partitionsOpened: DAYS, blocksFromHeaders: DAYS * 24, blocksDecoded: 0, pointsDecoded: 0 });
    expect(r.groups[0].rows).toHaveLength(DAYS);
    expectMatchesModel(r, model.query(q), q);
  });

  it("does not open the partitions of a device in another bucket", async () => {
    const q: Query = { devices: [B], channel: "temp", from: day(300), to: day(301), aggregates: SCALARS };
    const plan = await archive.explain(q);
    expect(plan).toMatchObject({ series: 1, partitionsInRange: 2, partitionsOpened: 1, segmentsRead: 1 });
    // Take A's segment of that day away: B's query never reads it, A's query does.
    const aBucket = bucketOf(seriesKey(A, "temp"), BUCKETS);
    const aSegment = (await segmentsOf(dir)).find((s) => s.window === "2023-10-28" && s.bucket === aBucket)!;
    expect(aSegment).toBeDefined();
    const file = join(dir, aSegment.file);
    await rename(file, `${file}.away`);
    try {
      const r = await archive.query(q);
      expectMatchesModel(r, model.query(q), q);
      await expect(archive.query({ ...q, devices: [A] })).rejects.toMatchObject({ code: "MISSING_FILE" });
    } finally {
      await rename(`${file}.away`, file);
    }
  });

  it("opens nothing for a device that has no data in the range", async () => {
    const plan = await archive.explain({ devices: [A], channel: "temp", from: day(DAYS + 10), to: day(DAYS + 11), aggregates: ["count"] });
    expect(plan).toMatchObject({ partitionsInRange: 0, partitionsOpened: 0, segmentsRead: 0, blocksInRange: 0 });
  });
});

describe("unsealed points", () => {
  it("make only the blocks they overlap decode, not every block between the oldest and the newest", async () => {
    const small = await Archive.open(await temp.make("iotpipe-pruning-memory-"), { partitionWindow: "day", codec });
    try {
      const readings = regular(A, "temp", day(0), MINUTE, 3 * 1440, (i) => i % 100);
      await small.append(columnsOf(readings));
      await small.checkpoint();
      // A new reading after day 2 and a late rewrite in the first hour of day 0 wait in memory.
      await small.append(columnsOf([{ device: A, channel: "temp", t: day(3) + MINUTE, v: 1 }]));
      await small.append(columnsOf([{ device: A, channel: "temp", t: day(0) + 30 * MINUTE, v: 7 }]));
      const q: Query = { devices: [A], channel: "temp", from: day(0), to: day(4), step: "1d", aggregates: ["count", "sum"] };
      const r = await small.query(q);
      expect(r.groups[0].rows.map((row) => row.values.count)).toEqual([1440, 1440, 1440, 1]);
      expect(r.plan.memoryPoints).toBe(2);
      // Only the block holding 00:30 of day 0 overlaps an unsealed point; the other 71 are whole.
      expect(r.plan).toMatchObject({ blocksInRange: 72, blocksFromHeaders: 71, blocksDecoded: 1 });
    } finally {
      await small.close();
    }
  });
});
