// Blocks compressed at the edge and handed to append() with their rows: kept byte for byte when they
// fit the layout, in the WAL as in segments; stored through the series' head otherwise; refused when
// they do not match their rows; never trusted for a header that lies.
import { describe, it, expect, afterEach } from "vitest";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { Archive, ArchiveError, createCodec, type Query, type ReadingColumns } from "../../src/index.js";
import { TempDirs, T0, SECOND, HOUR, DAY, columnsOf, regular, type Reading } from "../support/archive-fixtures.js";
import { reseal } from "../support/block-layout.js";

const codec = await createCodec();
const dirs = new TempDirs();
afterEach(() => dirs.removeAll());

const value = (i: number) => Math.round(2000 + 150 * Math.sin(i / 30)) / 100;

/** Rows of `series` (one after another) with each series also as one codec block, as a gateway sends them. */
function withBlocks(series: Reading[][], bytesOf = (r: Reading[]) => codec.encode(Float64Array.from(r, (x) => x.t), Float64Array.from(r, (x) => x.v))): ReadingColumns & { blockBytes: Uint8Array[] } {
  const cols = columnsOf(series.flat());
  const blockBytes = series.map(bytesOf);
  const offsets = new Uint32Array(series.length + 1);
  blockBytes.forEach((b, k) => (offsets[k + 1] = offsets[k] + b.length));
  const bytes = new Uint8Array(offsets[series.length]);
  blockBytes.forEach((b, k) => bytes.set(b, offsets[k]));
  let row = 0;
  const rows = Uint32Array.from(series, (s) => ((row += s.length), row - s.length));
  return { ...cols, blocks: { rows, counts: Uint32Array.from(series, (s) => s.length), offsets, bytes }, blockBytes };
}

const day: Query = { channel: "temp", from: T0 - DAY, to: T0 + DAY, aggregates: ["count", "sum", "min", "max", "first", "last"], groupBy: "device", step: "5m" };

async function segmentBytes(dir: string): Promise<Buffer> {
  const files = (await readdir(join(dir, "data"))).filter((f) => f.endsWith(".seg"));
  return Buffer.concat(await Promise.all(files.map((f) => readFile(join(dir, "data", f)))));
}

describe("edge-compressed blocks", () => {
  it("are stored byte for byte when they fit the layout, and answer queries like the same rows would", async () => {
    const [a, b] = [regular("press-1", "temp", T0, SECOND, 300, value), regular("press-2", "temp", T0 + 7 * SECOND, SECOND, 300, (i) => value(i + 9))];
    const dir = await dirs.make();
    const archive = await Archive.open(dir);
    const batch = withBlocks([a, b]);
    expect(await archive.append(batch)).toMatchObject({ points: 600, late: 0 });
    expect(archive.stats.blocksStoredAsSent).toBe(2);
    expect(archive.stats.blocksSealed).toBe(0);
    const live = await archive.query(day);
    await archive.close();

    const segments = await segmentBytes(dir);
    for (const block of batch.blockBytes) expect(segments.indexOf(Buffer.from(block))).toBeGreaterThanOrEqual(0);
    const plain = await Archive.open(await dirs.make());
    await plain.append(columnsOf([...a, ...b]));
    const expected = await plain.query(day);
    await plain.close();
    expect(live.groups).toEqual(expected.groups);
    const reopened = await Archive.open(dir);
    expect((await reopened.query(day)).groups).toEqual(expected.groups);
    await reopened.close();
  });

  it("of one block window are merged into one block by compaction", async () => {
    const a = regular("press-1", "temp", T0, SECOND, 1200, value);
    const dir = await dirs.make();
    const archive = await Archive.open(dir);
    for (let k = 0; k < 4; k++) await archive.append(withBlocks([a.slice(k * 300, (k + 1) * 300)]));
    expect(archive.stats.blocksStoredAsSent).toBe(4);
    await archive.checkpoint();
    const before = await archive.query({ ...day, step: undefined });
    const report = await archive.compact();
    expect(report).toMatchObject({ partitionsCompacted: 1, blocksBefore: 4, blocksAfter: 1 });
    expect(report.bytesAfter).toBeLessThan(report.bytesBefore);
    expect((await archive.query({ ...day, step: undefined })).groups).toEqual(before.groups);
    await archive.close();
  });

  it("are in the WAL as they arrived: a crash before the checkpoint loses nothing", async () => {
    const a = regular("press-1", "temp", T0, SECOND, 300, value);
    const dir = await dirs.make();
    const archive = await Archive.open(dir);
    const batch = withBlocks([a]);
    await archive.append(batch);
    await archive.abandon();
    const wal = Buffer.concat(await Promise.all((await readdir(join(dir, "wal"))).map((f) => readFile(join(dir, "wal", f)))));
    expect(wal.indexOf(Buffer.from(batch.blockBytes[0]))).toBeGreaterThanOrEqual(0);

    const reopened = await Archive.open(dir);
    expect(reopened.stats.blocksStoredAsSent).toBe(1);
    const r = await reopened.query({ ...day, step: undefined });
    expect(r.groups[0].rows[0].values).toMatchObject({ count: 300, first: a[0].v, last: a[299].v });
    await reopened.close();
  });

  it("go through the series' head when they cross a block window or arrive behind unsealed points", async () => {
    const dir = await dirs.make();
    const archive = await Archive.open(dir);
    const crossing = regular("press-1", "temp", T0 + HOUR - 100 * SECOND, SECOND, 300, value);
    const loose = regular("press-2", "temp", T0, SECOND, 10, value);
    const behind = regular("press-2", "temp", T0 + 10 * SECOND, SECOND, 300, value);
    await archive.append(columnsOf(loose));
    await archive.append(withBlocks([crossing, behind]));
    expect(archive.stats.blocksStoredAsSent).toBe(0);
    const r = await archive.query({ ...day, step: undefined });
    const counts = Object.fromEntries(r.groups.map((g) => [g.key.device, g.rows[0].values.count]));
    expect(counts).toEqual({ "press-1": 300, "press-2": 310 });
    await archive.close();
  });

  it("are refused with the batch when they do not match their rows", async () => {
    const archive = await Archive.open(await dirs.make());
    const a = regular("press-1", "temp", T0, SECOND, 300, value);
    const short = withBlocks([a]);
    short.blocks!.counts[0] = 299;
    await expect(archive.append(short)).rejects.toMatchObject({ name: "ArchiveError", code: "BAD_BATCH" });
    const mixed = withBlocks([[...a.slice(0, 150), ...regular("press-2", "temp", T0 + 150 * SECOND, SECOND, 150, value)]]);
    await expect(archive.append(mixed)).rejects.toThrow(/more than one series/);
    const corrupt = withBlocks([a]);
    corrupt.blocks!.bytes[corrupt.blocks!.bytes.length - 2] ^= 1;
    await expect(archive.append(corrupt)).rejects.toBeInstanceOf(ArchiveError);
    expect(archive.stats.pointsAppended).toBe(0);
    await archive.close();
  });

  it("whose header lies are stored from their points, so aggregates stay true", async () => {
    const a = regular("press-1", "temp", T0, SECOND, 300, value);
    const lying = withBlocks([a], (r) => {
      const block = codec.encode(Float64Array.from(r, (x) => x.t), Float64Array.from(r, (x) => x.v));
      new DataView(block.buffer).setFloat64(96, 1e9, true); // the stated sum
      return reseal(block);
    });
    const archive = await Archive.open(await dirs.make());
    await archive.append(lying);
    expect(archive.stats.blocksStoredAsSent).toBe(0);
    await archive.checkpoint();
    const r = await archive.query({ ...day, step: undefined });
    expect(r.groups[0].rows[0].values.sum).toBeCloseTo(a.reduce((s, x) => s + x.v, 0), 6);
    await archive.close();
  });
});
