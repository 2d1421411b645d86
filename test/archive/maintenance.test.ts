import { describe, it, expect, afterEach } from "vitest";
import { mkdtemp, rm, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Archive } from "../../src/index.js";

const T0 = Date.UTC(2024, 0, 1) * 1000;
const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function fresh(): Promise<{ dir: string; archive: Archive }> {
  const dir = await mkdtemp(join(tmpdir(), "iotpipe-maint-"));
  dirs.push(dir);
  return { dir, archive: await Archive.open(dir, { lateness: 10_000_000 }) };
}

function readings(points: [number, number][], device = 0) {
  return {
    devices: ["d0", "d1"],
    channels: ["temp"],
    device: Uint32Array.from(points, () => device),
    channel: new Uint32Array(points.length),
    timestamps: Float64Array.from(points, ([s]) => T0 + s * 1_000_000),
    values: Float64Array.from(points, ([, v]) => v),
  };
}

const DAY = { channel: "temp", from: T0, to: T0 + 86_400_000_000 };

describe("maintenance", () => {
  it("compaction merges late overwrites so the day is answered from headers with the same result", async () => {
    const { archive } = await fresh();
    await archive.append(readings(Array.from({ length: 7200 }, (_, i) => [i, i % 100])));
    await archive.checkpoint();
    await archive.append(readings([[100, 999], [200, 998]]));
    await archive.checkpoint();
    const q = { ...DAY, aggregates: ["count", "sum", "max"] as const };
    const before = await archive.query({ ...q, aggregates: [...q.aggregates] });
    expect(before.plan.blocksDecoded).toBeGreaterThan(0);
    const report = await archive.compact();
    expect(report.partitionsCompacted).toBe(1);
    expect(report.segmentsAfter).toBe(1);
    const after = await archive.query({ ...q, aggregates: [...q.aggregates] });
    expect(after.groups).toEqual(before.groups);
    expect(after.plan.blocksDecoded).toBe(0);
    expect(after.groups[0].rows[0].values).toEqual({ count: 7200, sum: 72 * 4950 + 999 + 998, max: 999 });
    await archive.close();
  });

  it("retention drops whole partitions before the cut-off and leaves later ones", async () => {
    const { archive } = await fresh();
    await archive.append(readings([[0, 1], [86_400, 2], [2 * 86_400, 3]]));
    await archive.checkpoint();
    const report = await archive.dropBefore(T0 + 86_400_000_000);
    expect(report).toMatchObject({ segmentsDropped: 1, pointsDropped: 1 });
    const r = await archive.query({ channel: "temp", from: T0, to: T0 + 3 * 86_400_000_000, aggregates: ["count", "min"] });
    expect(r.groups[0].rows[0].values).toEqual({ count: 2, min: 2 });
    await archive.close();
  });

  it("verify finds a corrupt block, quarantines it, and queries leave it out with a warning", async () => {
    const { dir, archive } = await fresh();
    await archive.append(readings(Array.from({ length: 7200 }, (_, i) => [i, 1])));
    await archive.checkpoint();
    expect((await archive.verify()).clean).toBe(true);
    await archive.close();

    const manifest = JSON.parse(await readFile(join(dir, "manifest.json"), "utf8"));
    const file = join(dir, manifest.segments[0].file);
    const bytes = await readFile(file);
    // The first entry: 16-byte segment header, u16 key length, key, flags and sequence, then the block.
    const block = 16 + 2 + bytes.readUInt16LE(16) + 9;
    bytes[block + bytes.readUInt16LE(block + 6) + 1] ^= 0xff; // inside the first block's timestamp stream
    await writeFile(file, bytes);

    const reopened = await Archive.open(dir);
    const report = await reopened.verify({ quarantine: true });
    expect(report.clean).toBe(false);
    expect(report.problems).toHaveLength(1);
    expect(report.quarantined).toBe(1);
    const r = await reopened.query({ ...DAY, aggregates: ["count"] });
    expect(r.groups[0].rows[0].values.count).toBe(3600);
    expect(r.warnings.join()).toMatch(/quarantined/);
    await reopened.close();
  });

  it("rebuilding a segment's index from its entries restores every block after the index is destroyed", async () => {
    const { dir, archive } = await fresh();
    await archive.append(readings(Array.from({ length: 7200 }, (_, i) => [i, i])));
    await archive.checkpoint();
    const expected = await archive.query({ ...DAY, aggregates: ["count", "sum"] });
    await archive.close();

    const manifest = JSON.parse(await readFile(join(dir, "manifest.json"), "utf8"));
    const relative = manifest.segments[0].file;
    const bytes = await readFile(join(dir, relative));
    bytes.fill(0, bytes.length - 60); // the footer and the end of the index
    await writeFile(join(dir, relative), bytes);

    const reopened = await Archive.open(dir);
    await expect(reopened.query({ ...DAY, aggregates: ["count"] })).rejects.toMatchObject({ code: "CORRUPT_SEGMENT" });
    expect(await reopened.rebuildIndex(relative)).toMatchObject({ blocksKept: 2 });
    const r = await reopened.query({ ...DAY, aggregates: ["count", "sum"] });
    expect(r.groups).toEqual(expected.groups);
    expect((await reopened.verify()).clean).toBe(true);
    await reopened.close();
  });

  it("rollups store per-hour aggregates as derived channels", async () => {
    const { archive } = await fresh();
    await archive.append(readings(Array.from({ length: 7200 }, (_, i) => [i, i < 3600 ? 1 : 3])));
    const written = await archive.rollup({ ...DAY, step: "1h", aggregates: ["avg", "count"] });
    expect(written).toBe(4);
    const r = await archive.query({ channel: "temp@1h.avg", from: DAY.from, to: DAY.to, aggregates: ["first", "last", "count"] });
    expect(r.groups[0].rows[0].values).toEqual({ first: 1, last: 3, count: 2 });
    await archive.close();
  });
});
