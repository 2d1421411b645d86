import { describe, expect, it } from "vitest";
import { DeviceNumbers, UNNUMBERED } from "../../src/ingest/device-numbers.js";

describe("device numbers", () => {
  it("numbers devices densely in order of first sight, and gives a device the same number in every frame", () => {
    const numbers = new DeviceNumbers();
    expect([...numbers.numbersOf(["pump-1", "pump-2"])]).toEqual([0, 1]);
    expect([...numbers.numbersOf(["pump-3", "pump-1", "pump-2"])]).toEqual([2, 0, 1]);
    expect(numbers.handedOut).toBe(3);
    expect(numbers.numberOf("pump-3")).toBe(2);
    expect(numbers.numberOf("valve-9")).toBeUndefined();
  });

  it("gives the same numbers whether a frame names its devices in the order of the last one or not", () => {
    const numbers = new DeviceNumbers();
    const fleet = Array.from({ length: 50 }, (_, i) => `dev-${i}`);
    expect([...numbers.numbersOf(fleet)]).toEqual(fleet.map((_, i) => i));
    // The same order (every guess right), then shuffled, shifted and with new names (guesses wrong).
    const again = fleet.map((d) => ` ${d}`.slice(1));
    expect([...numbers.numbersOf(again)]).toEqual(fleet.map((_, i) => i));
    const mixed = ["dev-7", "new-1", "dev-8", "dev-3", "dev-4", "new-2", "dev-49", "dev-0", "dev-1"];
    expect([...numbers.numbersOf(mixed)]).toEqual([7, 50, 8, 3, 4, 51, 49, 0, 1]);
    expect([...numbers.numbersOf(["dev-7", "new-1", "dev-8", "new-2"])]).toEqual([7, 50, 8, 51]);
    expect(numbers.handedOut).toBe(52);
  });

  it("starts over before a frame that might not fit its capacity, so names chosen by clients cannot grow it for ever", () => {
    const numbers = new DeviceNumbers(4);
    numbers.numbersOf(["a", "b", "c"]);
    expect(numbers.generation).toBe(0);
    expect([...numbers.numbersOf(["d", "a"])]).toEqual([0, 1]);
    expect(numbers.generation).toBe(1);
    expect(numbers.numberOf("b")).toBeUndefined();
    expect(numbers.handedOut).toBe(5);
  });

  it("leaves out the entries it is told to, without using up a number", () => {
    const numbers = new DeviceNumbers();
    expect([...numbers.numbersOf(["pump-1", "intruder", "pump-2"], [true, false, true])]).toEqual([0, UNNUMBERED, 1]);
    expect(numbers.numberOf("intruder")).toBeUndefined();
    expect(numbers.handedOut).toBe(2);
  });
});
