// A firmware update that changes a channel's unit adds a version; the stored points are never
// rewritten, and queries read across the change in one unit (by default the newest version's).
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { Archive, type Aggregate, type Query, type QueryResult } from "../../src/index.js";
import { TempDirs, T0, MINUTE, HOUR, columnsOf, regular, type Reading } from "../support/archive-fixtures.js";

const SCALARS: Aggregate[] = ["count", "sum", "min", "max", "avg", "stddev", "first", "last", "rate"];
/** The firmware update: mid-hour, so the block of hour 3 holds points of both versions. */
const SWITCH = T0 + 3 * HOUR + 30 * MINUTE;
const END = T0 + 6 * HOUR;
const fToC = (f: number) => ((f - 32) * 5) / 9;

/** oven-1/temp: degF until SWITCH, degC after; a reading a minute with a slow drift. */
const oven: Reading[] = regular("oven-1", "temp", T0, MINUTE, 360, (i) => {
  const t = T0 + i * MINUTE;
  const celsius = 180 + Math.round(Math.sin(i / 17) * 500) / 100;
  return t < SWITCH ? Math.round(((celsius * 9) / 5 + 32) * 100) / 100 : celsius;
});
/** oven-2/temp is really a pressure in bar: it does not convert to degC. */
const pressure: Reading[] = regular("oven-2", "temp", T0, MINUTE, 360, (i) => 1 + (i % 7) / 10);

function inCelsius(readings: readonly Reading[]): number[] {
  return readings.map((r) => (r.t < SWITCH ? fToC(r.v) : r.v));
}

const temp = new TempDirs();
let dir: string;
let archive: Archive;

beforeAll(async () => {
  dir = await temp.make("iotpipe-versions-");
  archive = await Archive.open(dir);
  await archive.defineChannel("oven-1", "temp", { unit: "degF" });
  await archive.append(columnsOf(oven.filter((r) => r.t < SWITCH)));
  // The update is registered when it happens; the points after it arrive later.
  await archive.defineChannel("oven-1", "temp", { unit: "degC", since: SWITCH });
  await archive.append(columnsOf(oven.filter((r) => r.t >= SWITCH)));
  await archive.defineChannel("oven-2", "temp", { unit: "bar" });
  await archive.append(columnsOf(pressure));
  await archive.checkpoint();
});

afterAll(async () => {
  await archive.close();
  await temp.removeAll();
});

function values(r: QueryResult, device?: string): Record<string, number | null>[] {
  const group = device === undefined ? r.groups[0] : r.groups.find((g) => g.key.device === device);
  return group?.rows.map((row) => row.values) ?? [];
}

function closeTo(actual: number | null, expected: number, relative = 1e-12): void {
  expect(actual).not.toBeNull();
  expect(Math.abs(actual! - expected)).toBeLessThanOrEqual(relative * Math.max(1, Math.abs(expected)));
}

describe("a channel whose unit changes from degF to degC", () => {
  const q: Query = { devices: ["oven-1"], channel: "temp", from: T0, to: END, aggregates: SCALARS };

  it("is read in the newest version's unit by default, the older points converted", async () => {
    const r = await archive.query(q);
    expect(r.unit).toBe("degC");
    expect(r.warnings).toEqual([]);
    const celsius = inCelsius(oven);
    const [row] = values(r);
    expect(row.count).toBe(360);
    closeTo(row.sum, celsius.reduce((s, v) => s + v, 0));
    closeTo(row.min, Math.min(...celsius));
    closeTo(row.max, Math.max(...celsius));
    closeTo(row.first, celsius[0]);
    closeTo(row.last, celsius[359]);
    const mean = celsius.reduce((s, v) => s + v, 0) / 360;
    closeTo(row.stddev, Math.sqrt(celsius.reduce((s, v) => s + (v - mean) ** 2, 0) / 360), 1e-9);
  });

  it("reports both versions in force within the range, and only those", async () => {
    const r = await archive.query(q);
    expect(r.versions).toEqual([
      { device: "oven-1", channel: "temp", version: 1, since: -Number.MAX_SAFE_INTEGER, unit: "degF", valueType: "float64" },
      { device: "oven-1", channel: "temp", version: 2, since: SWITCH, unit: "degC", valueType: "float64" },
    ]);
    const before = await archive.query({ ...q, to: SWITCH });
    expect(before.versions.map((v) => v.version)).toEqual([1]);
    expect(before.unit).toBe("degC");
    const after = await archive.query({ ...q, from: SWITCH });
    expect(after.versions.map((v) => v.version)).toEqual([2]);
  });

  it("answers hourly buckets, each in degC, with the hour of the update decoded point by point", async () => {
    const r = await archive.query({ ...q, step: "1h" });
    const celsius = inCelsius(oven);
    const rows = values(r);
    expect(rows).toHaveLength(6);
    rows.forEach((row, h) => {
      const hour = celsius.slice(h * 60, h * 60 + 60);
      expect(row.count).toBe(60);
      closeTo(row.sum, hour.reduce((s, v) => s + v, 0));
      closeTo(row.min, Math.min(...hour));
      closeTo(row.max, Math.max(...hour));
    });
    // Hour 3 spans the two versions, so its block is decoded; the other five come from headers.
    expect(r.plan.blocksFromHeaders).toBe(5);
    expect(r.plan.blocksDecoded).toBe(1);
  });

  it("gives the same answers from block headers as from decoded points", async () => {
    for (const step of [undefined, "1h"] as const) {
      const headers = await archive.query({ ...q, step });
      // Exact percentiles make every block decode.
      const decoded = await archive.query({ ...q, step, aggregates: [...SCALARS, "p50"], percentiles: "exact" });
      expect(headers.plan.blocksFromHeaders).toBeGreaterThan(0);
      expect(decoded.plan.blocksFromHeaders).toBe(0);
      const a = values(headers);
      const b = values(decoded);
      expect(a).toHaveLength(b.length);
      a.forEach((row, i) => {
        // One stored value, converted by the same formula: bit for bit.
        for (const k of ["count", "min", "max", "first", "last"]) expect(row[k], `${k} of bucket ${i}`).toBe(b[i][k]);
        // Sums of converted values: the order of additions differs.
        for (const k of ["sum", "avg", "rate"]) closeTo(row[k], b[i][k]!, 1e-12);
        closeTo(row.stddev, b[i].stddev!, 1e-9);
      });
    }
  });

  it("converts to any unit of the same dimension on request", async () => {
    const f = values(await archive.query({ ...q, unit: "degF" }))[0];
    const k = values(await archive.query({ ...q, unit: "K" }))[0];
    const c = values(await archive.query(q))[0];
    closeTo(f.min, (c.min! * 9) / 5 + 32);
    closeTo(f.max, (c.max! * 9) / 5 + 32);
    closeTo(f.sum, (c.sum! * 9) / 5 + 32 * 360);
    closeTo(k.min, c.min! + 273.15);
    closeTo(k.avg, c.avg! + 273.15);
    // The degF readings come back as written.
    const firstHour = values(await archive.query({ ...q, to: T0 + HOUR, unit: "degF", aggregates: ["min", "max", "first"] }))[0];
    const written = oven.slice(0, 60).map((r) => r.v);
    closeTo(firstHour.min, Math.min(...written));
    closeTo(firstHour.first, written[0]);
  });

  it("keeps its versions across a re-open", async () => {
    const expected = await archive.query({ ...q, step: "1h" });
    await archive.close();
    archive = await Archive.open(dir);
    const again = await archive.query({ ...q, step: "1h" });
    expect(again.groups).toEqual(expected.groups);
    expect(again.versions).toEqual(expected.versions);
    expect(again.unit).toBe("degC");
  });
});

describe("a unit that does not convert", () => {
  it("gives a warning and leaves that series out", async () => {
    const both = await archive.query({ devices: ["oven-1", "oven-2"], channel: "temp", from: T0, to: END, aggregates: SCALARS, unit: "degC", groupBy: "device" });
    expect(both.warnings).toHaveLength(1);
    expect(both.warnings[0]).toMatch(/oven-2\/temp/);
    expect(both.warnings[0]).toMatch(/bar/);
    const alone = await archive.query({ devices: ["oven-1"], channel: "temp", from: T0, to: END, aggregates: SCALARS });
    expect(values(both, "oven-1")).toEqual(values(alone));
    expect(values(both, "oven-2")).toEqual([]);
    const pooled = await archive.query({ devices: ["oven-1", "oven-2"], channel: "temp", from: T0, to: END, aggregates: SCALARS, unit: "degC" });
    expect(values(pooled)).toEqual(values(alone));
  });

  it("leaves out the older points of a channel whose update changed what it measures", async () => {
    // flow was a percentage of valve opening, then firmware reports L/min: the default unit is L/min.
    await archive.defineChannel("valve-1", "flow", { unit: "%" });
    await archive.append(columnsOf(regular("valve-1", "flow", T0, MINUTE, 120, (i) => i)));
    await archive.defineChannel("valve-1", "flow", { unit: "L/min", since: T0 + HOUR });
    const r = await archive.query({ devices: ["valve-1"], channel: "flow", from: T0, to: END, aggregates: ["count", "min", "max"] });
    expect(r.unit).toBe("L/min");
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(/valve-1\/flow version 1/);
    expect(values(r)).toEqual([{ count: 60, min: 60, max: 119 }]);
  });
});
