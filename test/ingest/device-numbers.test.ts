import { describe, expect, it } from "vitest";
import { DeviceNumbers } from "../../src/ingest/device-numbers.js";

describe("device numbers", () => {
  it("numbers devices densely in order of first sight, and gives a device the same number in every frame", () => {
    const numbers = new DeviceNumbers();
    expect([...numbers.numbersOf(["pump-1", "pump-2"])]).toEqual([0, 1]);
    expect([...numbers.numbersOf(["pump-3", "pump-1", "pump-2"])]).toEqual([2, 0, 1]);
    expect(numbers.size).toBe(3);
    expect(numbers.numberOf("pump-3")).toBe(2);
    expect(numbers.numberOf("valve-9")).toBeUndefined();
  });
});
