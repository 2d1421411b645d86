import { describe, it, expect, afterAll, beforeAll } from "vitest";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tableFromIPC } from "apache-arrow";
import { DuckDBInstance } from "@duckdb/node-api";
import { Archive } from "../../src/index.js";

const T0 = Date.UTC(2024, 0, 1) * 1000;
let dir: string;
let archive: Archive;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "iotpipe-export-"));
  archive = await Archive.open(dir);
  const n = 2 * 3 * 3600;
  const device = new Uint32Array(n);
  const timestamps = new Float64Array(n);
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    device[i] = i % 2;
    timestamps[i] = T0 + Math.floor(i / 2) * 1_000_000;
    values[i] = Math.round((20 + (i % 2) * 5 + Math.sin(i / 500)) * 100) / 100;
  }
  await archive.append({ devices: ["press-1", "press-2"], channels: ["temp"], device, channel: new Uint32Array(n), timestamps, values });
  await archive.checkpoint();
});

afterAll(async () => {
  await archive.close();
  await rm(dir, { recursive: true, force: true });
});

const RANGE = { channel: "temp", from: T0 + 1800e6, to: T0 + 7200e6 };

describe("export", () => {
  it("writes Parquet that DuckDB reads back with the same numbers the query engine gives", async () => {
    const file = join(dir, "export.parquet");
    await writeFile(file, await archive.exportParquet(RANGE));
    const db = await DuckDBInstance.create(":memory:");
    const connection = await db.connect();
    const reader = await connection.runAndReadAll(
      `select device, count(*)::INTEGER, sum(value), min(value), max(value), epoch_us(min(ts))::DOUBLE, epoch_us(max(ts))::DOUBLE from '${file}' group by device order by device`,
    );
    const ours = await archive.query({ ...RANGE, aggregates: ["count", "sum", "min", "max"], groupBy: "device", percentiles: "exact" });
    const rows = reader.getRows();
    expect(rows).toHaveLength(2);
    for (const [device, count, sum, min, max, first, last] of rows) {
      const group = ours.groups.find((g) => g.key.device === device)!;
      const v = group.rows[0].values;
      expect(count).toBe(v.count);
      expect(sum as number).toBeCloseTo(v.sum!, 6);
      expect(min).toBe(v.min);
      expect(max).toBe(v.max);
      expect(first).toBe(RANGE.from);
      expect(last).toBe(RANGE.to - 1e6);
    }
    connection.closeSync();
  });

  it("writes Arrow IPC in the batch schema, with microsecond timestamps and dictionary-encoded names", async () => {
    const table = tableFromIPC(await archive.exportArrow({ ...RANGE, devices: ["press-2"] }));
    expect(table.schema.fields.map((f) => String(f.type))).toEqual(["Dictionary<Int32, Utf8>", "Dictionary<Int32, Utf8>", "Timestamp<MICROSECOND>", "Float64"]);
    expect(table.numRows).toBe(5400);
    const ts = table.getChild("ts")!.toArray() as BigInt64Array;
    expect(Number(ts[0])).toBe(RANGE.from);
    expect(new Set(table.getChild("device")!.toArray())).toEqual(new Set(["press-2"]));
  });
});
