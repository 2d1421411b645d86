// The range-novelty kernel scores each reading from what its series did before it: never from later
// readings, never from other series, and the same however the stream is cut into batches.
import { describe, it, expect } from "vitest";
import { fileURLToPath } from "node:url";
import { readFileSync } from "node:fs";
import { AnalyticsKernels, AnalyticsError } from "../../src/analytics/kernels.js";
import { parseNabCsv } from "../../src/eval/nab/corpus.js";
import { SHARED_DATA } from "../support/datasets.js";

const MINUTE_US = 60e6;

function nab(name: string): { ts: Float64Array; values: Float64Array } {
  const s = parseNabCsv(name, readFileSync(fileURLToPath(new URL(`nab/${name}`, SHARED_DATA)), "utf8"));
  return { ts: s.timestamps.map((t) => t * 1000), values: s.values };
}

/** A noisy sine with one spike at `spikeAt`: readings every minute. */
function sine(n: number, spikeAt = -1): { ts: Float64Array; values: Float64Array } {
  const ts = Float64Array.from({ length: n }, (_, i) => 1.7e15 + i * MINUTE_US);
  const values = Float64Array.from({ length: n }, (_, i) => 20 + 5 * Math.sin(i / 10) + ((i * 7919) % 13) / 13 + (i === spikeAt ? 40 : 0));
  return { ts, values };
}

describe("the novelty detector", () => {
  it("holds 256 bytes of state per series: 144 for the anomaly score, 112 for health", async () => {
    const d = await AnalyticsKernels.create({ learnReadings: 100, suppressReadings: 10 });
    expect(d.stateBytes).toBe(256);
  });

  it("scores a spike after the learning period above every other reading, then stays quiet for the suppression period", async () => {
    const d = await AnalyticsKernels.create({ learnReadings: 300, suppressReadings: 50 });
    const { ts, values } = sine(1000, 700);
    const scores = d.score(new Int32Array(1000), ts, values);
    expect(scores[700]).toBeGreaterThan(0.99);
    for (let i = 0; i < 300; i++) expect(scores[i]).toBe(0);
    for (let i = 701; i <= 750; i++) expect(scores[i]).toBe(0);
    expect(Math.max(...scores.filter((_, i) => i !== 700))).toBeLessThan(scores[700] - 0.2);
  });

  it("gives every reading the same score whether the stream comes one reading at a time or in one batch", async () => {
    const { ts, values } = nab("realKnownCause/nyc_taxi.csv");
    const options = { learnReadings: 750, suppressReadings: 50 };
    const whole = (await AnalyticsKernels.create(options)).score(new Int32Array(values.length), ts, values);
    const single = await AnalyticsKernels.create(options);
    const one = new Int32Array(1);
    const streamed = new Float64Array(values.length);
    for (let i = 0; i < values.length; i++) streamed[i] = single.score(one, ts.subarray(i, i + 1), values.subarray(i, i + 1))[0];
    expect(streamed).toEqual(whole);
    expect(whole.some((s) => s > 0.5)).toBe(true);
  });

  it("keeps series apart when their readings interleave in one batch", async () => {
    const a = sine(800, 500);
    const b = nab("artificialWithAnomaly/art_daily_jumpsup.csv");
    const n = 800;
    const options = { learnReadings: 200, suppressReadings: 20 };
    const alone = async (s: { ts: Float64Array; values: Float64Array }) =>
      (await AnalyticsKernels.create(options)).score(new Int32Array(n), s.ts.subarray(0, n), s.values.subarray(0, n));
    const [soloA, soloB] = [await alone(a), await alone(b)];
    const slots = new Int32Array(2 * n);
    const ts = new Float64Array(2 * n);
    const values = new Float64Array(2 * n);
    for (let i = 0; i < n; i++) {
      slots[2 * i] = 7;
      ts[2 * i] = a.ts[i];
      values[2 * i] = a.values[i];
      slots[2 * i + 1] = 3;
      ts[2 * i + 1] = b.ts[i];
      values[2 * i + 1] = b.values[i];
    }
    const mixed = (await AnalyticsKernels.create(options)).score(slots, ts, values);
    expect(mixed.filter((_, i) => i % 2 === 0)).toEqual(soloA);
    expect(mixed.filter((_, i) => i % 2 === 1)).toEqual(soloB);
  });

  it("keeps what every series learned when later batches are larger and bring new series", async () => {
    const { ts, values } = nab("realAWSCloudwatch/ec2_cpu_utilization_5f5533.csv");
    const options = { learnReadings: 600, suppressReadings: 40 };
    const whole = (await AnalyticsKernels.create(options)).score(new Int32Array(values.length), ts, values);
    const d = await AnalyticsKernels.create(options);
    const parts: Float64Array[] = [];
    let at = 0;
    for (const size of [10, 100, 1000, values.length]) {
      const end = Math.min(values.length, at + size);
      parts.push(d.score(new Int32Array(end - at), ts.slice(at, end), values.slice(at, end)));
      d.score(Int32Array.of(size * 10), Float64Array.of(ts[0]), Float64Array.of(1));
      at = end;
    }
    expect(d.series).toBe(values.length * 10 + 1);
    const joined = new Float64Array(values.length);
    let k = 0;
    for (const p of parts) joined.set(p, (k += p.length) - p.length);
    expect(joined).toEqual(whole);
  });

  it("scores readings that are not finite 0 and leaves the series as it was", async () => {
    const options = { learnReadings: 300, suppressReadings: 50 };
    const clean = sine(900, 600);
    const dirty = { ts: clean.ts, values: clean.values.slice() };
    for (const i of [5, 350, 599, 601]) dirty.values[i] = [NaN, Infinity, -Infinity, NaN][[5, 350, 599, 601].indexOf(i)];
    const keep = (s: Float64Array) => s.filter((_, i) => ![5, 350, 599, 601].includes(i));
    const strip = (v: Float64Array) => v.filter((_, i) => ![5, 350, 599, 601].includes(i));
    const a = (await AnalyticsKernels.create(options)).score(new Int32Array(896), strip(clean.ts), strip(clean.values));
    const b = (await AnalyticsKernels.create(options)).score(new Int32Array(900), dirty.ts, dirty.values);
    expect(b[5]).toBe(0);
    expect(b[350]).toBe(0);
    expect(keep(b)).toEqual(a);
  });

  it("forgets a slot that is reset, so a new series can take it", async () => {
    const options = { learnReadings: 100, suppressReadings: 10 };
    const { ts, values } = sine(400, 250);
    const d = await AnalyticsKernels.create(options);
    d.score(new Int32Array(400), ts, values.map((v) => v * 1000));
    d.reset(0, 1);
    expect(d.score(new Int32Array(400), ts, values)).toEqual((await AnalyticsKernels.create(options)).score(new Int32Array(400), ts, values));
  });

  it("refuses batches whose columns differ in length, negative slots and bad options with an AnalyticsError", async () => {
    const d = await AnalyticsKernels.create({ learnReadings: 10, suppressReadings: 1 });
    expect(() => d.score(new Int32Array(2), new Float64Array(3), new Float64Array(3))).toThrow(AnalyticsError);
    expect(() => d.score(Int32Array.of(-1), new Float64Array(1), new Float64Array(1))).toThrow(/slot -1/);
    expect(() => d.reset(0, 5)).toThrow(AnalyticsError);
    await expect(AnalyticsKernels.create({ learnReadings: 70000, suppressReadings: 1 })).rejects.toThrow(AnalyticsError);
  });
});
