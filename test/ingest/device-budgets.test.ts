import { describe, expect, it } from "vitest";
import { DeviceBudgets } from "../../src/ingest/device-budgets.js";

describe("per-device rate budgets", () => {
  it("lets a new device send a second's worth at once, refuses more, and refills at the rate", () => {
    const budgets = new DeviceBudgets(100);
    expect(budgets.take(0, 100, 0)).toBe(true);
    expect(budgets.take(0, 1, 0)).toBe(false);
    // Half a second later: 50 readings' worth.
    expect(budgets.take(0, 51, 500)).toBe(false);
    expect(budgets.take(0, 50, 500)).toBe(true);
    // Never more than one second's worth, however long it was quiet.
    expect(budgets.take(0, 101, 60_000)).toBe(false);
    expect(budgets.take(0, 100, 60_000)).toBe(true);
  });

  it("keeps each device's budget apart, whatever order the numbers first come in", () => {
    const budgets = new DeviceBudgets(10);
    expect(budgets.take(5000, 10, 0)).toBe(true);
    expect(budgets.take(5000, 1, 0)).toBe(false);
    for (const device of [0, 1, 4999, 5001]) expect(budgets.take(device, 10, 0)).toBe(true);
  });
});
