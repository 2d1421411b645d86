import { describe, expect, it } from "vitest";
import { ClockSkew } from "../../src/ingest/clock-skew.js";
import { DeviceNumbers } from "../../src/ingest/device-numbers.js";
import type { FlaggedColumns } from "../../src/ingest/batch-builder.js";

const S = 1e6;
const T0 = 1_700_000_000 * S;
const policy = { mode: "correct" as const, toleranceUs: 5 * S, jitterUs: S };

/** One frame of `device`: readings at the device's times `ts`. */
function frame(device: string, ts: number[]): FlaggedColumns {
  const n = ts.length;
  return {
    devices: [device],
    channels: ["temp"],
    device: new Uint32Array(n),
    channel: new Uint32Array(n),
    timestamps: Float64Array.from(ts),
    values: new Float64Array(n).fill(20),
    flags: new Uint8Array(n),
  };
}

/** Sends `frames` frames a second apart from arrival time `at`, the device clock `offset` µs ahead; returns the last frame's timestamps after apply. */
function run(clocks: ClockSkew, device: string, at: number, frames: number, offset: number, delay = () => 20e3): Float64Array {
  let last: Float64Array = new Float64Array(0);
  for (let i = 0; i < frames; i++) {
    const sent = at + i * S;
    const f = frame(device, [sent - 500e3 + offset, sent + offset]);
    clocks.apply(f, sent + delay());
    last = f.timestamps;
  }
  return last;
}

describe("device clock skew", () => {
  it("corrects a clock that is steadily two hours behind once two windows agree, to within the network delay", () => {
    const clocks = new ClockSkew(policy);
    const early = run(clocks, "d1", T0, 10, -7200 * S);
    expect(early[1]).toBe(T0 + 9 * S - 7200 * S);
    const later = run(clocks, "d1", T0 + 10 * S, 60, -7200 * S);
    const sent = T0 + 69 * S;
    expect(Math.abs(later[1] - sent)).toBeLessThanOrEqual(25e3);
    expect(clocks.status("d1")).toMatchObject({ stable: true, jumps: 0 });
    expect(clocks.status("d1")!.correctionUs).toBe(7200 * S + 20e3);
    expect(clocks.corrected).toBeGreaterThan(0);
  });

  it("stops correcting at the first frame after the clock jumps back, and counts the jump", () => {
    const clocks = new ClockSkew(policy);
    run(clocks, "d1", T0, 60, 600 * S);
    expect(clocks.status("d1")!.correctionUs).toBe(-600 * S + 20e3);
    const after = run(clocks, "d1", T0 + 60 * S, 1, 0);
    expect(after[1]).toBe(T0 + 60 * S);
    expect(clocks.jumps).toBe(1);
    expect(clocks.status("d1")).toBeUndefined();
  });

  it("leaves a good clock alone, whatever the network's jitter", () => {
    const clocks = new ClockSkew(policy);
    let seed = 7;
    const jitter = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 400e3;
    const last = run(clocks, "d1", T0, 200, 0, jitter);
    expect(last[1]).toBe(T0 + 199 * S);
    expect(clocks.corrected).toBe(0);
    expect(clocks.jumps).toBe(0);
  });

  it("learns nothing from a backlog replayed after an outage", () => {
    const clocks = new ClockSkew(policy);
    run(clocks, "d1", T0, 40, 0);
    // An hour offline, then the buffered hour comes in ten times as fast as it was recorded.
    const back = T0 + 3640 * S;
    for (let i = 0; i < 360; i++) {
      const f = frame("d1", [T0 + 40 * S + i * 10 * S]);
      clocks.apply(f, back + i * S);
      expect(f.timestamps[0]).toBe(T0 + 40 * S + i * 10 * S);
    }
    expect(clocks.corrected).toBe(0);
  });

  it("only reports in flag mode", () => {
    const clocks = new ClockSkew({ ...policy, mode: "flag" });
    const last = run(clocks, "d1", T0, 60, -3600 * S);
    expect(last[1]).toBe(T0 + 59 * S - 3600 * S);
    expect(clocks.status("d1")).toMatchObject({ offsetUs: 3600 * S + 20e3, stable: true, correctionUs: 0 });
  });

  it("lets a corrected device's edge blocks go: their bytes hold the device's own times", () => {
    const clocks = new ClockSkew(policy);
    run(clocks, "d1", T0, 60, -7200 * S);
    const f = frame("d1", [T0 + 59.5 * S - 7200 * S, T0 + 60 * S - 7200 * S]);
    f.blocks = { rows: Uint32Array.of(0), counts: Uint32Array.of(2), offsets: Uint32Array.of(0, 3), bytes: Uint8Array.of(1, 2, 3) };
    clocks.apply(f, T0 + 60 * S + 20e3);
    expect(f.blocks).toBeUndefined();
    expect(f.timestamps[1]).toBe(T0 + 60 * S + 20e3);
  });

  it("never corrects a device whose time runs at another pace than arrival time (a replay, a simulation)", () => {
    const clocks = new ClockSkew(policy);
    for (let i = 0; i < 400; i++) {
      const f = frame("d1", [T0 - 3600 * S + i * 2 * S]);
      clocks.apply(f, T0 + i * S);
      expect(f.timestamps[0]).toBe(T0 - 3600 * S + i * 2 * S);
    }
    expect(clocks.status("d1")?.stable ?? false).toBe(false);
    expect(clocks.corrected).toBe(0);
  });

  it("keeps the clocks of a gateway's devices apart, with device numbers shared with the caller", () => {
    const numbers = new DeviceNumbers();
    numbers.numbersOf(["seen-before"]);
    const clocks = new ClockSkew(policy, numbers);
    const offsets = [0, -7200 * S, 600 * S];
    const devices = ["good", "behind", "ahead"];
    let last = new Float64Array(0);
    for (let i = 0; i < 70; i++) {
      const sent = T0 + i * S;
      // One frame, devices in another order each time; every device's reading is taken at `sent`.
      const order = i % 2 === 0 ? [0, 1, 2] : [2, 0, 1];
      const f: FlaggedColumns = {
        devices: order.map((d) => devices[d]),
        channels: ["temp"],
        device: Uint32Array.from([0, 1, 2]),
        channel: new Uint32Array(3),
        timestamps: Float64Array.from(order.map((d) => sent + offsets[d])),
        values: new Float64Array(3),
        flags: new Uint8Array(3),
      };
      clocks.apply(f, sent + 20e3);
      last = Float64Array.from(order.map((_, k) => f.timestamps[order.indexOf(k)]));
    }
    expect(clocks.status("good")).toMatchObject({ correctionUs: 0 });
    expect(clocks.status("behind")).toMatchObject({ stable: true, correctionUs: 7200 * S + 20e3 });
    expect(clocks.status("ahead")).toMatchObject({ stable: true, correctionUs: -600 * S + 20e3 });
    expect(clocks.status("seen-before")).toBeUndefined();
    const sent = T0 + 69 * S;
    expect(last[0]).toBe(sent);
    for (const k of [1, 2]) expect(Math.abs(last[k] - sent)).toBeLessThanOrEqual(25e3);
  });

  it("forgets every clock when the device numbers start over, and learns them again", () => {
    const numbers = new DeviceNumbers(2);
    const clocks = new ClockSkew(policy, numbers);
    run(clocks, "d1", T0, 60, -7200 * S);
    expect(clocks.status("d1")).toMatchObject({ stable: true });
    // A frame of two more devices does not fit a table of two: the numbers start over.
    clocks.apply({ ...frame("d2", [T0 + 60 * S]), devices: ["d2", "d3"] }, T0 + 60 * S + 20e3);
    expect(numbers.generation).toBe(1);
    expect(clocks.status("d1")).toBeUndefined();
    const later = run(clocks, "d1", T0 + 61 * S, 1, -7200 * S);
    expect(later[1]).toBe(T0 + 61 * S - 7200 * S);
  });
});
