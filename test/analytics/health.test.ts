// The health kernel's findings on hand-made streams: each fault shape is found, and what looks like it
// but is not (a new level, a clock jump, a running count) is not.
import { describe, it, expect } from "vitest";
import { AnalyticsKernels, HEALTH, findingNames } from "../../src/analytics/kernels.js";

const S = 1e6;
const T0 = 1.7e15;
const LEARN = 200;

/** n readings a second apart of a noisy level, arriving 20 ms after they were taken. */
function stream(n: number, at = (i: number) => 50 + Math.sin(i * 1.7) + Math.cos(i * 0.37)) {
  const ts = Float64Array.from({ length: n }, (_, i) => T0 + i * S);
  return { ts, arrival: ts.map((t) => t + 20e3), values: Float64Array.from({ length: n }, (_, i) => at(i)) };
}

async function kernels() {
  return AnalyticsKernels.create({ learnReadings: LEARN, suppressReadings: 10 });
}

function judge(k: AnalyticsKernels, s: { ts: Float64Array; arrival: Float64Array; values: Float64Array }, reference?: Float64Array) {
  return k.judge(new Int32Array(s.values.length), s.ts, s.arrival, s.values, reference);
}

const where = (findings: Uint32Array, bit: number) => [...findings.keys()].filter((i) => (findings[i] & bit) !== 0);

describe("the health kernel", () => {
  it("finds a spike on the reading after it, once the value is back, and takes a lasting jump for a new level", async () => {
    const s = stream(600, (i) => 50 + Math.sin(i * 1.7) + (i === 400 ? 60 : 0) + (i >= 500 ? 60 : 0));
    const f = judge(await kernels(), s);
    expect(where(f, HEALTH.SPIKE)).toEqual([401]);
  });

  it("finds a stuck sensor once a run of repeats is too long for how often its value repeats", async () => {
    const s = stream(700, (i) => (i >= 400 && i < 500 ? 50.5 : 50 + Math.sin(i * 1.7)));
    const f = judge(await kernels(), s);
    const stuck = where(f, HEALTH.STUCK);
    expect(stuck[0]).toBeGreaterThan(400);
    expect(stuck[0]).toBeLessThan(412);
    expect(stuck.at(-1)).toBe(499);
  });

  it("does not judge spikes, stuck runs or drift on a running count", async () => {
    const s = stream(800, (i) => Math.floor(i / 50) * 10);
    const k = await kernels();
    k.describeSeries(0, { counter: true });
    expect(judge(k, s).every((f) => f === 0)).toBe(true);
  });

  it("reports a silence once while it lasts, from the sweep, and not again when readings come back", async () => {
    const k = await kernels();
    const s = stream(300);
    judge(k, s);
    const last = s.arrival[299];
    expect(k.sweepSilence(last + 2 * S)[0]).toBe(0);
    expect(k.sweepSilence(last + 10 * S)[0]).toBe(HEALTH.GAP);
    expect(k.sweepSilence(last + 20 * S)[0]).toBe(0);
    const back = stream(1);
    back.ts[0] = s.ts[299] + 60 * S;
    back.arrival[0] = back.ts[0] + 20e3;
    expect(judge(k, back)[0] & HEALTH.GAP).toBe(0);
  });

  it("finds a gap on arrival when no sweep ran, and judges gaps on arrival time, so a clock jump is skew, not a gap", async () => {
    const k = await kernels();
    const s = stream(400);
    for (let i = 300; i < 400; i++) s.arrival[i] += 120 * S;
    expect(where(judge(k, s), HEALTH.GAP)).toEqual([300]);
    const j = await kernels();
    const jumped = stream(400);
    for (let i = 300; i < 400; i++) jumped.ts[i] += 120 * S;
    const f = judge(j, jumped);
    expect(where(f, HEALTH.GAP)).toEqual([]);
    expect(where(f, HEALTH.SKEW)[0]).toBe(300);
  });

  it("finds a reporting-rate change and lets it go once the rate is back", async () => {
    const k = await kernels();
    const ts: number[] = [];
    let t = T0;
    for (let i = 0; i < 700; i++) {
      ts.push(t);
      t += i >= 400 && i < 500 ? 0.25 * S : S;
    }
    const s = { ts: Float64Array.from(ts), arrival: Float64Array.from(ts, (x) => x + 20e3), values: stream(700).values };
    const rate = where(judge(k, s), HEALTH.RATE);
    expect(rate[0]).toBeGreaterThan(400);
    expect(rate[0]).toBeLessThan(420);
    expect(rate.at(-1)).toBeLessThan(690);
  });

  it("marks duplicate and late timestamps, and values outside the registry's range", async () => {
    const k = await kernels();
    k.describeSeries(0, { validRange: [0, 100] });
    const s = stream(300);
    s.ts[250] = s.ts[249];
    s.ts[260] = s.ts[259] - 5 * S;
    s.values[270] = 150;
    const f = judge(k, s);
    expect(findingNames(f[250])).toContain("DUPLICATE");
    expect(findingNames(f[260])).toContain("LATE");
    expect(findingNames(f[270])).toContain("OUT_OF_RANGE");
    expect(f[271] & HEALTH.OUT_OF_RANGE).toBe(0);
  });

  it("finds drift against peers while a shared swing moves every peer alike", async () => {
    const n = 4000;
    const shared = (i: number) => (i > 2000 ? 20 : 0) * Math.min(1, (i - 2000) / 300);
    const s = stream(n, (i) => 50 + Math.sin(i * 1.7) * 0.2 + shared(i) + (i > 3000 ? (i - 3000) * 0.002 : 0));
    const reference = Float64Array.from({ length: n }, (_, i) => 50 + shared(i));
    const f = judge(await kernels(), s, reference);
    const drift = where(f, HEALTH.DRIFT);
    expect(drift.length).toBeGreaterThan(0);
    expect(drift[0]).toBeGreaterThan(3000);
    const alone = judge(await kernels(), stream(n, (i) => 50 + Math.sin(i * 1.7) * 0.2 + shared(i)), reference);
    expect(where(alone, HEALTH.DRIFT)).toEqual([]);
  });

  it("finds the same whether readings come one at a time or in one batch", async () => {
    const s = stream(900, (i) => 50 + Math.sin(i * 1.7) + (i === 400 ? 60 : 0) + (i >= 600 && i < 700 ? 0 : Math.cos(i)));
    for (let i = 800; i < 900; i++) s.arrival[i] += 30 * S;
    const whole = judge(await kernels(), s);
    const k = await kernels();
    const one = new Int32Array(1);
    const streamed = Uint32Array.from({ length: 900 }, (_, i) => k.judge(one, s.ts.subarray(i, i + 1), s.arrival.subarray(i, i + 1), s.values.subarray(i, i + 1))[0]);
    expect(streamed).toEqual(whole);
    expect(whole.some((f) => f !== 0)).toBe(true);
  });
});
