import { afterEach, describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PartitionCountError, settlePartitionCount } from "../../src/workers/partition-count.js";
import { WorkerPool } from "../../src/workers/pool.js";

const dirs: string[] = [];
function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "iotpipe-partitions-"));
  dirs.push(dir);
  return join(dir, "data");
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("a data directory's partition count", () => {
  it("is recorded by the first run, and a run asking for another count is refused before it opens anything", async () => {
    const dir = dataDir();
    const pool = await WorkerPool.start({ dataDir: dir, partitions: 4, workers: 2, analytics: false });
    await pool.close();
    expect(JSON.parse(readFileSync(join(dir, "partitions.json"), "utf8"))).toEqual({ partitions: 4 });
    await expect(WorkerPool.start({ dataDir: dir, partitions: 2, workers: 2, analytics: false })).rejects.toThrow(/made with 4 partitions, and this run asks for 2/);
    await expect(settlePartitionCount(dir, 4)).resolves.toBeUndefined();
  });

  it("is read from the partition directories of a directory that has no record", async () => {
    const dir = dataDir();
    for (let p = 0; p < 8; p++) mkdirSync(join(dir, `p${String(p).padStart(3, "0")}`), { recursive: true });
    await expect(settlePartitionCount(dir, 2)).rejects.toBeInstanceOf(PartitionCountError);
    await settlePartitionCount(dir, 8);
    expect(JSON.parse(readFileSync(join(dir, "partitions.json"), "utf8"))).toEqual({ partitions: 8 });
  });

  it("says what is wrong with a record that holds no count", async () => {
    const dir = dataDir();
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "partitions.json"), "{\"partitions\": \"eight\"}");
    await expect(settlePartitionCount(dir, 8)).rejects.toThrow(/does not hold a partition count/);
  });
});
