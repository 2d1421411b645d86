import { describe, it, expect } from "vitest";
import { partitionOf, placeOf, route } from "../../src/pipeline/router.js";
import { DeviceRegistry } from "../../src/ingest/devices.js";
import { FLAG_CRITICAL, type FlaggedColumns } from "../../src/ingest/batch-builder.js";

const PARTITIONS = 4;
const devices = Array.from({ length: 40 }, (_, i) => `press-${i}`);

function frame(): FlaggedColumns {
  const n = devices.length * 2;
  return {
    devices,
    channels: ["temp", "rpm"],
    device: Uint32Array.from({ length: n }, (_, i) => i >> 1),
    channel: Uint32Array.from({ length: n }, (_, i) => i & 1),
    timestamps: Float64Array.from({ length: n }, (_, i) => 1_000 + i),
    values: Float64Array.from({ length: n }, (_, i) => i / 4),
    flags: Uint8Array.from({ length: n }, (_, i) => (i === 7 ? FLAG_CRITICAL : 0)),
  };
}

const readings = (b: FlaggedColumns) => Array.from(b.timestamps, (t, i) => [b.devices[b.device[i]], b.channels[b.channel[i]], t, b.values[i], b.flags[i]]);

describe("routing a frame", () => {
  const parts = route(frame(), PARTITIONS, "eu", new DeviceRegistry({ "press-5": { tier: "bulk" } }));

  it("keeps every reading exactly once, in frame order within each part", () => {
    const all = parts.flatMap((p) => readings(p.batch));
    expect(all.sort((a, b) => (a[2] as number) - (b[2] as number))).toEqual(readings(frame()));
    for (const p of parts) {
      const ts = Array.from(p.batch.timestamps);
      expect(ts).toEqual([...ts].sort((a, b) => a - b));
    }
  });

  it("sends each device to its own partition, with a dictionary of that partition's devices only", () => {
    for (const { stream, batch } of parts) {
      for (const d of batch.devices) expect(partitionOf(d, PARTITIONS)).toBe(stream.partition);
    }
    const partitionsUsed = new Set(parts.map((p) => p.stream.partition));
    expect(partitionsUsed.size).toBeGreaterThan(1);
  });

  it("puts critical readings in the critical lane and others in their device's tier", () => {
    const critical = parts.filter((p) => p.stream.lane === "critical");
    expect(critical.flatMap((p) => readings(p.batch))).toEqual([["press-3", "rpm", 1_007, 7 / 4, FLAG_CRITICAL]]);
    const bulk = parts.filter((p) => p.stream.lane === "bulk").flatMap((p) => readings(p.batch));
    expect(bulk.map((r) => r[0])).toEqual(["press-5", "press-5"]);
  });

  it("routes by the places a caller keeps per device exactly as by the names", () => {
    const registry = new DeviceRegistry({ "press-5": { tier: "bulk" } });
    const places = Uint32Array.from(devices, (d) => placeOf(d, PARTITIONS, registry));
    const byPlaces = route(frame(), PARTITIONS, "eu", registry, places);
    expect(byPlaces.map((p) => [p.stream, p.batch.devices, readings(p.batch)])).toEqual(parts.map((p) => [p.stream, p.batch.devices, readings(p.batch)]));
  });

  it("hands a frame of one partition and lane over as it is", () => {
    const one: FlaggedColumns = { ...frame(), devices: ["press-1"], device: new Uint32Array(80), flags: new Uint8Array(80) };
    const [only, ...rest] = route(one, PARTITIONS, "eu", new DeviceRegistry());
    expect(rest).toEqual([]);
    expect(only.batch).toBe(one);
  });
});
