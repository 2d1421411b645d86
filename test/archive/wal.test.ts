import { describe, expect, it, afterEach } from "vitest";
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { WalWriter, replayWal, walFileName } from "../../src/archive/wal.js";
import { TempDirs } from "../support/archive-fixtures.js";

const temp = new TempDirs();
afterEach(() => temp.removeAll());

const record = (n: number, bytes: number) => ({ payload: new Uint8Array(bytes).fill((n % 250) + 1), defines: [] });

async function replayed(dir: string, sequence: number): Promise<{ payloads: number[]; records: number; goodBytes: number; tailBytes: number }> {
  const payloads: number[] = [];
  const r = await replayWal(dir, sequence, (p) => payloads.push(p[0]));
  return { payloads, records: r.records, goodBytes: r.goodBytes, tailBytes: r.tailBytes };
}

describe("the write-ahead log", () => {
  it("writes its records into zeros written ahead, so a synced record leaves the file's size alone", async () => {
    const dir = await temp.make();
    const wal = await WalWriter.open(dir, 1);
    const sizes: number[] = [];
    for (let n = 0; n < 40; n++) {
      await wal.append(record(n, 1000));
      sizes.push((await stat(join(dir, walFileName(1)))).size);
    }
    await wal.close();
    // 40 records of 1 008 bytes: the first one's fill covers them all.
    expect(new Set(sizes).size).toBe(1);
    expect(sizes[0]).toBeGreaterThanOrEqual(40 * 1008 + (1 << 19));
    const r = await replayed(dir, 1);
    expect(r.payloads).toEqual(Array.from({ length: 40 }, (_, n) => (n % 250) + 1));
    expect(r.goodBytes).toBe(40 * 1008);
    expect(r.tailBytes).toBe(0);
  });

  it("keeps filling ahead as records pass half of what was filled", async () => {
    const dir = await temp.make();
    const wal = await WalWriter.open(dir, 1);
    for (let n = 0; n < 300; n++) await wal.append(record(n, 8000));
    await wal.close();
    const size = (await stat(join(dir, walFileName(1)))).size;
    expect(size - 300 * 8008).toBeGreaterThanOrEqual(1 << 19);
    expect((await replayed(dir, 1)).records).toBe(300);
  });

  it("refuses an empty record, whose zero length would end the records on replay", async () => {
    const dir = await temp.make();
    const wal = await WalWriter.open(dir, 1);
    await wal.append(record(0, 10));
    await expect(wal.append({ payload: new Uint8Array(0), defines: [] })).rejects.toMatchObject({ name: "ArchiveError", code: "BAD_BATCH" });
    await wal.append(record(1, 10));
    await wal.close();
    expect((await replayed(dir, 1)).payloads).toEqual([1, 2]);
  });

  it("tells each append how long the fsync that covered it took, the same for appends it covered together", async () => {
    const dir = await temp.make();
    const wal = await WalWriter.open(dir, 1);
    // Written in one turn: the first starts an fsync, the other two wait for the next one.
    const [first, second, third] = await Promise.all([wal.append(record(0, 100)), wal.append(record(1, 100)), wal.append(record(2, 100))]);
    await wal.close();
    for (const ms of [first, second, third]) expect(ms).toBeGreaterThan(0);
    expect(second).toBe(third);
  });

  it("goes on after its last record, not after the zeros, when a file is opened again", async () => {
    const dir = await temp.make();
    const first = await WalWriter.open(dir, 1);
    for (let n = 0; n < 3; n++) await first.append(record(n, 100));
    await first.close();
    const again = await WalWriter.open(dir, 1);
    expect(again.size).toBe(3 * 108);
    await again.append(record(3, 100));
    await again.close();
    expect((await replayed(dir, 1)).payloads).toEqual([1, 2, 3, 4]);
  });
});
