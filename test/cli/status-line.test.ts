import { describe, expect, it } from "vitest";
import { StatusWindow } from "../../src/cli/status-line.js";
import { LatencyHistogram } from "../../src/server/metrics.js";

/** Bucket counts of these latencies (ms). */
function counts(...ms: number[]): number[] {
  const h = new LatencyHistogram("test", "A test histogram.");
  for (const m of ms) h.observe(m);
  return h.takeWindow();
}

describe("the status line's window", () => {
  it("reads a steady rate when readings arrive in once-a-second bursts that straddle its samples", () => {
    const w = new StatusWindow(5);
    // 800 readings a second, acknowledged in bursts: some samples see two bursts, some none.
    const totals = [0, 800, 2400, 2400, 3200, 4000, 5600, 5600, 6400];
    totals.forEach((total, i) => w.add(i * 1000, total, counts()));
    expect(w.rate()).toBe(800);
  });

  it("gives the latency quantile of what the window holds, and none when it holds nothing", () => {
    const w = new StatusWindow(2);
    w.add(0, 0, counts(900));
    expect(w.quantile(0.99)).toBeNaN();
    w.add(1000, 10, counts(1, 1, 1));
    w.add(2000, 20, counts());
    expect(w.quantile(0.99)).toBeLessThanOrEqual(1);
    w.add(3000, 30, counts());
    expect(w.quantile(0.99)).toBeNaN();
    expect(w.rate()).toBe(10);
  });
});
