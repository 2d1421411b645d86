// Zone windows merged across workers: a zone's window waits for every worker's watermark, a fixed
// number of them (the embedded pool) or those that swept lately (scale-out), so a worker process that
// stopped sweeping no longer holds its zones back.
import { describe, it, expect } from "vitest";
import { StreamWindows, type WindowOutput } from "../../../src/analytics/windows/stream-windows.js";
import { parseWindowSpecs } from "../../../src/analytics/windows/window-spec.js";
import { ZoneWindows } from "../../../src/analytics/windows/zone-windows.js";

const S = 1e6;
const T0 = 1_700_000_040e6;
const specs = parseWindowSpecs([{ name: "z", tumbling: { sizeSeconds: 60 }, groupBy: "zone", aggregates: ["count"], outOfOrdernessSeconds: 5 }]);

/** One worker's swept output for `device` (zone A) at 1 Hz from second 0 to `to` (exclusive). */
async function workerOutput(device: string, to: number): Promise<WindowOutput> {
  const w = await StreamWindows.create(specs);
  w.defineDevice(device, { zone: "A" });
  const n = to;
  w.observe(
    {
      devices: [device],
      channels: ["temperature"],
      device: new Uint32Array(n),
      channel: new Uint32Array(n),
      timestamps: Float64Array.from({ length: n }, (_, s) => T0 + s * S),
      values: new Float64Array(n).fill(1),
    },
    0,
  );
  return w.sweep(0);
}

describe("zone windows across workers", () => {
  it("wait for a fixed number of workers, then merge their parts", async () => {
    const zones = await ZoneWindows.create(specs, 2);
    const a = await workerOutput("m-1", 70);
    const b = await workerOutput("m-2", 70);
    expect(zones.take(0, a.zoneParts, a.zoneWatermarks, true)).toEqual([]);
    const done = zones.take(1, b.zoneParts, b.zoneWatermarks, true);
    expect(done.map((r) => [r.device, r.start, r.aggregates.count])).toEqual([["zone:A", T0, 120]]);
  });

  it("in scale-out mode wait only for the workers that swept lately", async () => {
    const zones = await ZoneWindows.create(specs, { staleMs: 3000 });
    const a = await workerOutput("m-1", 70);
    // Worker b has the zone's device too, but its watermark is still inside the first minute.
    const b = await workerOutput("m-2", 30);
    expect(zones.take("b", b.zoneParts, b.zoneWatermarks, true, 1000)).toEqual([]);
    expect(zones.take("a", a.zoneParts, a.zoneWatermarks, true, 1500)).toEqual([]);
    // b stops sweeping (it stopped, or died and another worker claims its partitions): 3 s later the zone goes by a alone.
    expect(zones.take("a", [], a.zoneWatermarks, true, 3500)).toEqual([]);
    const done = zones.take("a", [], a.zoneWatermarks, true, 4500);
    expect(done.map((r) => [r.device, r.start, r.aggregates.count])).toEqual([["zone:A", T0, 60]]);
  });

  it("merge a zone device a worker meets late into the window already emitted, instead of replacing it", async () => {
    // One worker, two devices of zone A: m-2's readings come only after m-1's minute went out (its
    // partition was read behind, as when a worker catches up on a backlog).
    const zones = await ZoneWindows.create(specs, 1);
    const w = await StreamWindows.create(specs);
    for (const d of ["m-1", "m-2"]) w.defineDevice(d, { zone: "A" });
    const seventySeconds = (device: string) => ({
      devices: [device],
      channels: ["temperature"],
      device: new Uint32Array(70),
      channel: new Uint32Array(70),
      timestamps: Float64Array.from({ length: 70 }, (_, s) => T0 + s * S),
      values: new Float64Array(70).fill(1),
    });
    const emitted = (out: WindowOutput, nowMs: number) => zones.take(0, out.zoneParts, out.zoneWatermarks, true, nowMs).map((r) => [r.start, r.aggregates.count, r.update]);
    w.observe(seventySeconds("m-1"), 0);
    expect(emitted(w.sweep(1 * S), 1000)).toEqual([[T0, 60, false]]);
    w.observe(seventySeconds("m-2"), 2 * S);
    expect(emitted(w.sweep(3 * S), 3000)).toEqual([[T0, 120, true]]);
  });
});
