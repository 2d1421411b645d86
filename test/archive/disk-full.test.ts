import { describe, it, expect, afterEach } from "vitest";
import { mkdtemp, rm, readFile, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Archive } from "../../src/index.js";

// /dev/full is a real device whose writes fail with ENOSPC: WAL files linked to it make a disk that is
// full for the WAL alone, while segments and the manifest still have room.
const T0 = Date.UTC(2024, 0, 1) * 1000;
const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

function readings(from: number, count: number) {
  return {
    devices: ["d0"],
    channels: ["temp"],
    device: new Uint32Array(count),
    channel: new Uint32Array(count),
    timestamps: Float64Array.from({ length: count }, (_, i) => T0 + (from + i) * 1_000_000),
    values: Float64Array.from({ length: count }, (_, i) => (from + i) % 50),
  };
}

const walFile = (dir: string, n: number) => join(dir, "wal", `${String(n).padStart(10, "0")}.wal`);

describe("a full disk", () => {
  it("fails appends with DISK_FULL, keeps what was acknowledged, and recovers once the WAL has room", async () => {
    const dir = await mkdtemp(join(tmpdir(), "iotpipe-full-"));
    dirs.push(dir);
    const archive = await Archive.open(dir);
    await archive.append(readings(0, 1000));
    // The next checkpoint moves appends to WAL file walCheckpoint + 1: make that one the full disk.
    const { walCheckpoint } = JSON.parse(await readFile(join(dir, "manifest.json"), "utf8"));
    await symlink("/dev/full", walFile(dir, walCheckpoint + 1));
    await archive.checkpoint();

    await expect(archive.append(readings(1000, 10))).rejects.toMatchObject({ name: "ArchiveError", code: "DISK_FULL" });
    await expect(archive.append(readings(2000, 10))).rejects.toMatchObject({ code: "DISK_FULL" });
    const day = { channel: "temp", from: T0, to: T0 + 86_400_000_000, aggregates: ["count" as const] };
    expect((await archive.query(day)).groups[0].rows[0].values.count).toBeGreaterThanOrEqual(1000);

    await archive.checkpoint(); // moves to a WAL file with room
    await archive.append(readings(3000, 10));
    await archive.close();

    const reopened = await Archive.open(dir);
    const r = await reopened.query({ ...day, aggregates: ["count", "min", "max"] });
    // Acknowledged: 1000 + 10. The refused batches may or may not have reached a segment.
    expect(r.groups[0].rows[0].values.count).toBeGreaterThanOrEqual(1010);
    const late = await reopened.query({ ...day, from: T0 + 3000e6, to: T0 + 3010e6 });
    expect(late.groups[0].rows[0].values.count).toBe(10);
    await reopened.close();
  });
});
