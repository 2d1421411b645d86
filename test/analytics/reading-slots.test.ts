import { describe, expect, it } from "vitest";
import { readingSlots } from "../../src/analytics/reading-slots.js";

describe("reading slots", () => {
  it("asks once per (device, channel) pair the batch holds, not for every device × channel of its dictionaries", () => {
    // Two devices of different types in one gateway batch: a press (force, temp) and a pump (flow).
    const batch = {
      devices: ["press-1", "pump-1"],
      channels: ["force", "temp", "flow"],
      device: Uint32Array.of(0, 0, 1, 0, 1),
      channel: Uint32Array.of(0, 1, 2, 0, 2),
      timestamps: new Float64Array(5),
      values: new Float64Array(5),
    };
    const asked: string[] = [];
    const slots = readingSlots(batch, (d, c) => {
      asked.push(`${d}/${c}`);
      return c === "temp" ? -1 : asked.length;
    });
    expect(asked).toEqual(["press-1/force", "press-1/temp", "pump-1/flow"]);
    expect(Array.from(slots)).toEqual([1, -1, 3, 1, 3]);
  });
});
