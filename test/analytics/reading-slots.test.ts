import { describe, expect, it } from "vitest";
import { ReadingSlots } from "../../src/analytics/reading-slots.js";

function batch(devices: string[], channels: string[], device: number[], channel: number[]) {
  return { devices, channels, device: Uint32Array.from(device), channel: Uint32Array.from(channel), timestamps: new Float64Array(device.length), values: new Float64Array(device.length) };
}

describe("reading slots", () => {
  it("asks once per (device, channel) pair the batch holds, not for every device × channel of its dictionaries", () => {
    // Two devices of different types in one gateway batch: a press (force, temp) and a pump (flow).
    const asked: string[] = [];
    const table = new ReadingSlots((d, c) => {
      asked.push(`${d}/${c}`);
      return c === "temp" ? -1 : asked.length;
    });
    const slots = table.of(batch(["press-1", "pump-1"], ["force", "temp", "flow"], [0, 0, 1, 0, 1], [0, 1, 2, 0, 2]));
    expect(asked).toEqual(["press-1/force", "press-1/temp", "pump-1/flow"]);
    expect(Array.from(slots)).toEqual([1, -1, 3, 1, 3]);
  });

  it("finds a pair's slot again in a later batch whose dictionaries list the names in another order", () => {
    let next = 0;
    const table = new ReadingSlots(() => next++);
    const first = table.of(batch(["a", "b"], ["x", "y"], [0, 0, 1, 1], [0, 1, 0, 1]));
    expect(Array.from(first)).toEqual([0, 1, 2, 3]);
    // New string objects, other dictionary order, one new channel and one new device.
    const second = table.of(batch(["c", "b", "a"].map((s) => ` ${s}`.slice(1)), ["z", "y", "x"], [2, 1, 1, 0, 2], [1, 2, 0, 2, 2]));
    expect(Array.from(second)).toEqual([1, 2, 4, 5, 0]);
    expect(next).toBe(6);
  });

  it("keeps each table's slots apart when more tables than a device row remembers read the same batches", () => {
    // One thread's tables share the rows of its devices; past four, a table finds its row by name again.
    const tables = Array.from({ length: 6 }, (_, t) => {
      let next = 100 * t;
      return new ReadingSlots(() => next++);
    });
    const b = batch(["m1", "m2"], ["x", "y"], [0, 0, 1, 1], [0, 1, 0, 1]);
    for (let round = 0; round < 3; round++) {
      tables.forEach((table, t) => expect(Array.from(table.of(round === 0 ? b : { ...b, devices: ["m2", "m1"], device: Uint32Array.from([1, 1, 0, 0]) }))).toEqual([0, 1, 2, 3].map((k) => 100 * t + k)));
    }
  });
});
