// NAB's standard-profile scoring, checked against numbers worked out by hand from the NAB paper's rules.
import { describe, it, expect } from "vitest";
import { scaledSigmoid, probationaryLength, weighRows, sweepThresholds, scoreCorpus, NAB_PROFILES } from "../../../src/eval/nab/score.js";
import type { NabSeries } from "../../../src/eval/nab/corpus.js";

const MIN = 60_000;

/** A series of `n` rows a minute apart with windows given as [first row, last row]. */
function series(n: number, windows: Array<[number, number]>, name = "cat/file.csv"): NabSeries {
  const timestamps = Float64Array.from({ length: n }, (_, i) => i * MIN);
  return {
    name,
    timestamps,
    timestampText: Array.from(timestamps, (t) => new Date(t).toISOString()),
    values: new Float64Array(n),
    windows: windows.map(([a, b]) => [a * MIN, b * MIN]),
  };
}

function scoresAt(n: number, at: Record<number, number>): Float64Array {
  const s = new Float64Array(n);
  for (const [i, v] of Object.entries(at)) s[Number(i)] = v;
  return s;
}

describe("NAB scoring", () => {
  it("weighs window positions with the scaled sigmoid: left edge ≈ 0.987, middle ≈ 0.848, right edge 0, far after −1", () => {
    expect(scaledSigmoid(-1)).toBeCloseTo(0.98661, 5);
    expect(scaledSigmoid(-0.5)).toBeCloseTo(0.84828, 5);
    expect(scaledSigmoid(0)).toBe(0);
    expect(scaledSigmoid(1)).toBeCloseTo(-0.98661, 5);
    expect(scaledSigmoid(3.5)).toBe(-1);
  });

  it("leaves the first 15 % of a series, at most 750 rows, unscored", () => {
    expect(probationaryLength(1000)).toBe(150);
    expect(probationaryLength(4032)).toBe(604);
    expect(probationaryLength(20000)).toBe(750);
  });

  it("rewards a detection at a window's left edge with the full true-positive weight and later ones less", () => {
    const s = series(1000, [[500, 599]]);
    const r = weighRows(s, new Float64Array(1000), NAB_PROFILES.standard);
    expect(r.weights[500]).toBeCloseTo(1, 12);
    expect(r.weights[550]).toBeCloseTo(scaledSigmoid(-50 / 100) / scaledSigmoid(-1), 12);
    expect(r.weights[599]).toBeCloseTo(scaledSigmoid(-1 / 100) / scaledSigmoid(-1), 12);
    expect(r.weights[300]).toBeCloseTo(-0.11, 12);
    expect(r.weights[649]).toBeCloseTo(0.11 * scaledSigmoid(50 / 99), 12);
    expect(r.window[100]).toBe(-2);
    expect(r.window[300]).toBe(-1);
    expect(r.window[550]).toBe(0);
  });

  it("counts a window once, by its earliest detection, and charges every false positive", () => {
    const s = series(1000, [[500, 599]]);
    const scores = scoresAt(1000, { 520: 0.9, 540: 0.9, 580: 0.9, 300: 0.9, 800: 0.9 });
    const top = sweepThresholds([weighRows(s, scores, NAB_PROFILES.standard)], NAB_PROFILES.standard).find((t) => t.threshold === 0.9)!;
    const early = scaledSigmoid(-80 / 100) / scaledSigmoid(-1);
    // 300 precedes every window (−0.11); 800 is 201 rows past one 100 rows wide.
    expect(top.score).toBeCloseTo(early - 0.11 + 0.11 * scaledSigmoid(201 / 99), 12);
    expect(top.tp).toBe(3);
    expect(top.fp).toBe(2);
    expect(top.missedWindows).toBe(0);
  });

  it("ignores detections in the probationary period and windows wholly inside it", () => {
    const s = series(1000, [[10, 60], [500, 599]]);
    const result = scoreCorpus([s], [scoresAt(1000, { 20: 1, 30: 1 })], "standard");
    expect(result.windows).toBe(1);
    expect(result.normalized).toBe(0);
  });

  it("scores a detector that never fires 0 and one that fires at every window's start 100", () => {
    const corpus = [series(2000, [[400, 499], [1500, 1599]], "a/x.csv"), series(1200, [[700, 799]], "b/y.csv")];
    expect(scoreCorpus(corpus, corpus.map((c) => new Float64Array(c.values.length)), "standard").normalized).toBe(0);
    const perfect = [scoresAt(2000, { 400: 1, 1500: 1 }), scoresAt(1200, { 700: 1 })];
    const r = scoreCorpus(corpus, perfect, "standard");
    expect(r.normalized).toBeCloseTo(100, 10);
    expect(r.detectedWindows).toBe(3);
  });

  it("optimises one threshold over the whole corpus", () => {
    const corpus = [series(1000, [[500, 599]], "a/x.csv"), series(1000, [[500, 599]], "b/y.csv")];
    // At 0.8 both windows are found and four false positives, each far from any window, cost 0.11;
    // at 0.9 one window is found and one is missed.
    const scores = [scoresAt(1000, { 550: 0.9 }), scoresAt(1000, { 550: 0.8, 200: 0.8, 300: 0.8, 400: 0.8, 900: 0.8 })];
    const r = scoreCorpus(corpus, scores, "standard");
    const w = scaledSigmoid(-50 / 100) / scaledSigmoid(-1);
    expect(r.threshold).toBe(0.8);
    expect(r.raw).toBeCloseTo(2 * w - 0.44, 10);
    expect(r.detectedWindows).toBe(2);
  });

  it("refuses a window that does not start and end on rows of the file", () => {
    const s = series(100, []);
    s.windows = [[30.5 * MIN, 40 * MIN]];
    expect(() => weighRows(s, new Float64Array(100), NAB_PROFILES.standard)).toThrow(/does not start and end on rows/);
  });
});
