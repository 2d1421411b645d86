// A worker's windows: only matched series are windowed, device groups merge a device's channels and
// fire again after a late reading, zone groups come out as this worker's part with its zone watermark.
import { describe, it, expect } from "vitest";
import { StreamWindows } from "../../../src/analytics/windows/stream-windows.js";
import { parseWindowSpecs } from "../../../src/analytics/windows/window-spec.js";
import type { ReadingColumns } from "../../../src/archive/batch.js";

const S = 1e6;
const T0 = 1_700_000_040e6;

/** Two devices × two channels, one reading each per second from `from` to `to` (exclusive). */
function batch(from: number, to: number, value = (s: number) => s): ReadingColumns {
  const rows: [number, number, number, number][] = [];
  for (let s = from; s < to; s++) for (let d = 0; d < 2; d++) for (let c = 0; c < 2; c++) rows.push([d, c, T0 + s * S, value(s) + c * 100]);
  return {
    devices: ["m-1", "m-2"],
    channels: ["temperature", "vibration"],
    device: Uint32Array.from(rows.map((r) => r[0])),
    channel: Uint32Array.from(rows.map((r) => r[1])),
    timestamps: Float64Array.from(rows.map((r) => r[2])),
    values: Float64Array.from(rows.map((r) => r[3])),
  };
}

describe("a worker's windows", () => {
  it("windows only the series a definition matches", async () => {
    const w = await StreamWindows.create(parseWindowSpecs([{ name: "t", tumbling: { sizeSeconds: 60 }, match: { channels: ["temp*"], devices: ["m-1"] }, aggregates: ["count"] }]));
    const out = w.observe(batch(0, 70), 0);
    expect(out.results.map((r) => [r.device, r.channel, r.aggregates.count])).toEqual([["m-1", "temperature", 60]]);
  });

  it("merges a device's channels at the sweep and fires the group again after a late reading within the lateness", async () => {
    const w = await StreamWindows.create(parseWindowSpecs([{ name: "d", tumbling: { sizeSeconds: 60 }, groupBy: "device", aggregates: ["count", "max"], allowedLatenessSeconds: 30 }]));
    expect(w.observe(batch(0, 70), 0).results).toEqual([]);
    const first = w.sweep(0).results;
    expect(first.map((r) => [r.device, r.channel, r.update, r.aggregates.count])).toEqual([
      ["m-1", undefined, false, 120],
      ["m-2", undefined, false, 120],
    ]);
    w.observe({ ...batch(10, 11, () => 1000), devices: ["m-1", "m-9"] }, 0);
    const again = w.sweep(0).results;
    expect(again.map((r) => [r.device, r.update, r.aggregates.count, r.aggregates.max])).toEqual([["m-1", true, 122, 1100]]);
  });

  it("reports zone windows as this worker's part, with the zone's watermark", async () => {
    const w = await StreamWindows.create(parseWindowSpecs([{ name: "z", tumbling: { sizeSeconds: 60 }, groupBy: "zone", match: { channels: ["temperature"] } }]));
    w.defineDevice("m-1", { zone: "A" });
    w.defineDevice("m-2", { zone: "A" });
    w.observe(batch(0, 70), 0);
    const out = w.sweep(0);
    expect(out.zoneParts.map((p) => [p.zone, p.channel, p.state.count])).toEqual([["A", "temperature", 120]]);
    expect(out.zoneWatermarks).toEqual([{ window: "z", zone: "A", watermark: T0 + 64 * S }]);
  });
});
