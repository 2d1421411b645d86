// A brute-force model of what the archive must answer: every write kept in a map per series (so the
// later write of a timestamp wins), queries computed point by point with the textbook formulas, and a
// comparison of the archive's answer with the model's (exact where the answer is one stored value,
// a tight tolerance where it is a floating-point sum).
import { expect } from "vitest";
import type { Query, QueryResult } from "../../src/index.js";
import type { Reading } from "./archive-fixtures.js";

const SCALAR = ["count", "sum", "min", "max", "avg", "stddev", "first", "last", "rate"] as const;

/** A bucket as the model computes it, with the magnitudes tolerances are scaled by. */
export interface ModelRow {
  start: number;
  end: number;
  values: Record<string, number | null>;
  /** Sorted finite values (for percentile checks). */
  sorted: Float64Array;
  sumAbs: number;
  maxAbs: number;
}

export interface ModelGroup {
  key: Record<string, string>;
  series: number;
  rows: ModelRow[];
}

/** Nearest rank ⌈p·N/100⌉ in integer arithmetic (p a whole number), at least 1. */
export function nearestRank(p: number, n: number): number {
  return Math.max(1, Math.ceil((p * n) / 100));
}

/** Glob (`*`, `?`) matching written independently of the query engine's. */
export function globMatches(pattern: string, text: string): boolean {
  const memo = new Map<string, boolean>();
  const go = (i: number, j: number): boolean => {
    const k = `${i},${j}`;
    if (memo.has(k)) return memo.get(k)!;
    let r: boolean;
    if (i === pattern.length) r = j === text.length;
    else if (pattern[i] === "*") r = go(i + 1, j) || (j < text.length && go(i, j + 1));
    else r = j < text.length && (pattern[i] === "?" || pattern[i] === text[j]) && go(i + 1, j + 1);
    memo.set(k, r);
    return r;
  };
  return go(0, 0);
}

/** Every write, per series; device tags. */
export class ReferenceStore {
  /** device → channel → (timestamp → value), Map insertion keeps the last write per timestamp. */
  readonly data = new Map<string, Map<string, Map<number, number>>>();
  readonly tags = new Map<string, Record<string, string>>();
  /** Sorted points per series, dropped by every write. */
  readonly #sorted = new Map<string, [number, number][]>();

  write(readings: Iterable<Reading>): void {
    this.#sorted.clear();
    for (const r of readings) {
      let channels = this.data.get(r.device);
      if (!channels) this.data.set(r.device, (channels = new Map()));
      let points = channels.get(r.channel);
      if (!points) channels.set(r.channel, (points = new Map()));
      points.set(r.t, r.v);
    }
  }

  defineDevice(id: string, tags: Record<string, string>): void {
    this.tags.set(id, { ...this.tags.get(id), ...tags });
    if (!this.data.has(id)) this.data.set(id, new Map());
  }

  /** The series' points (one per timestamp, the last written), sorted by time. */
  points(device: string, channel: string): [number, number][] {
    const key = `${device}\u0000${channel}`;
    let sorted = this.#sorted.get(key);
    if (!sorted) {
      const map = this.data.get(device)?.get(channel);
      sorted = map ? [...map.entries()].sort((a, b) => a[0] - b[0]) : [];
      this.#sorted.set(key, sorted);
    }
    return sorted;
  }

  /** The model's answer to `q` (no unit conversion), groups keyed by JSON of their key. */
  query(q: Query): Map<string, ModelGroup> {
    const step = typeof q.step === "string" ? STEPS[q.step] : q.step;
    const groups = new Map<string, { key: Record<string, string>; series: number; buckets: Map<number, [number, number][]> }>();
    for (const [device, channels] of this.data) {
      if (!channels.has(q.channel)) continue;
      const tags = this.tags.get(device) ?? {};
      if (typeof q.devices === "string" && !globMatches(q.devices, device)) continue;
      if (Array.isArray(q.devices) && !q.devices.includes(device)) continue;
      if (q.tags && Object.entries(q.tags).some(([k, v]) => tags[k] !== v)) continue;
      const by = q.groupBy ?? "none";
      const key: Record<string, string> =
        by === "none" ? {} : by === "device" ? { device } : by === "series" ? { device, channel: q.channel } : { [by]: tags[by] ?? "" };
      const id = JSON.stringify(key);
      let g = groups.get(id);
      if (!g) groups.set(id, (g = { key, series: 0, buckets: new Map() }));
      g.series++;
      const points = this.points(device, q.channel);
      for (let i = lowerBound(points, q.from); i < points.length && points[i][0] < q.to; i++) {
        const [t, v] = points[i];
        if (!Number.isFinite(v)) continue;
        const start = step === undefined ? q.from : Math.floor(t / step) * step;
        let list = g.buckets.get(start);
        if (!list) g.buckets.set(start, (list = []));
        list.push([t, v]);
      }
    }
    const out = new Map<string, ModelGroup>();
    for (const [id, g] of groups) {
      const rows = [...g.buckets.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([start, pts]) => modelRow(start, step === undefined ? q.to : start + step, pts, q));
      out.set(id, { key: g.key, series: g.series, rows });
    }
    return out;
  }
}

/** Index of the first point at or after `t`. */
function lowerBound(points: readonly [number, number][], t: number): number {
  let lo = 0;
  let hi = points.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (points[mid][0] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const STEPS: Record<string, number> = { "1s": 1e6, "1m": 60e6, "5m": 300e6, "15m": 900e6, "1h": 3600e6, "6h": 21600e6, "1d": 86400e6 };

function modelRow(start: number, end: number, pts: [number, number][], q: Query): ModelRow {
  pts.sort((a, b) => a[0] - b[0]);
  const n = pts.length;
  let sum = 0;
  let sumAbs = 0;
  let maxAbs = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const [, v] of pts) {
    sum += v;
    sumAbs += Math.abs(v);
    maxAbs = Math.max(maxAbs, Math.abs(v));
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  const mean = sum / n;
  let m2 = 0;
  for (const [, v] of pts) m2 += (v - mean) * (v - mean);
  const [tFirst, first] = pts[0];
  const [tLast, last] = pts[n - 1];
  const sorted = Float64Array.from(pts, ([, v]) => v).sort();
  const values: Record<string, number | null> = {};
  for (const a of q.aggregates) {
    switch (a) {
      case "count": values[a] = n; break;
      case "sum": values[a] = sum; break;
      case "min": values[a] = min; break;
      case "max": values[a] = max; break;
      case "avg": values[a] = mean; break;
      case "stddev": values[a] = Math.sqrt(m2 / n); break;
      case "first": values[a] = first; break;
      case "last": values[a] = last; break;
      case "rate": values[a] = tLast > tFirst ? (last - first) / ((tLast - tFirst) / 1e6) : null; break;
      default: values[a] = sorted[nearestRank(Number(a.slice(1)), n) - 1];
    }
  }
  return { start, end, values, sorted, sumAbs, maxAbs };
}

/** Relative tolerance of sums and averages (compensated sums agree to far better than this). */
const REL = 1e-9;

/**
 * Checks the archive's answer against the model's: the same groups (by key), series counts and
 * buckets; count, min, max, first, last and exact percentiles equal; sum, avg, stddev and rate within
 * a tight tolerance; approximate percentiles (those with an errorBounds entry) within their bound.
 */
export function expectMatchesModel(actual: QueryResult, model: Map<string, ModelGroup>, q: Query, context = ""): void {
  const where = (s: string) => `${context}${s}`;
  const got = new Map(actual.groups.map((g) => [JSON.stringify(g.key), g]));
  expect([...got.keys()].sort(), where("group keys")).toEqual([...model.keys()].sort());
  for (const [id, m] of model) {
    const g = got.get(id)!;
    expect(g.series, where(`series in group ${id}`)).toBe(m.series);
    expect(
      g.rows.map((r) => [r.start, r.end]),
      where(`buckets of group ${id}`),
    ).toEqual(m.rows.map((r) => [r.start, r.end]));
    m.rows.forEach((mr, i) => {
      const row = g.rows[i];
      const at = where(`group ${id} bucket ${mr.start}: `);
      for (const a of q.aggregates) {
        const want = mr.values[a];
        const have = row.values[a];
        if (a.startsWith("p")) {
          const bound = row.errorBounds?.[a];
          if (bound === undefined) {
            expect(have, `${at}${a} (exact)`).toBe(want);
          } else {
            expect(bound, `${at}${a} bound`).toBeGreaterThanOrEqual(0);
            const slack = bound * 1e-12 + mr.maxAbs * 1e-15;
            expect(Math.abs((have as number) - (want as number)), `${at}${a}: ${have} ± ${bound} must hold ${want}`).toBeLessThanOrEqual(bound + slack);
          }
          continue;
        }
        switch (a as (typeof SCALAR)[number]) {
          case "count":
          case "min":
          case "max":
          case "first":
          case "last":
            expect(have, `${at}${a}`).toBe(want);
            break;
          case "sum":
            expect(Math.abs((have as number) - (want as number)), `${at}sum ${have} vs ${want}`).toBeLessThanOrEqual(REL * mr.sumAbs + 1e-12);
            break;
          case "avg":
            expect(Math.abs((have as number) - (want as number)), `${at}avg ${have} vs ${want}`).toBeLessThanOrEqual((REL * mr.sumAbs) / mr.sorted.length + 1e-12);
            break;
          case "stddev": {
            // Compare variances: a square root magnifies rounding near zero, a variance does not.
            const h = have as number;
            const w = want as number;
            expect(Math.abs(h * h - w * w), `${at}stddev ${h} vs ${w}`).toBeLessThanOrEqual(REL * mr.maxAbs * mr.maxAbs + 1e-12);
            break;
          }
          case "rate":
            if (want === null) expect(have, `${at}rate`).toBeNull();
            else expect(Math.abs((have as number) - want), `${at}rate ${have} vs ${want}`).toBeLessThanOrEqual(1e-12 * Math.abs(want) + 1e-12);
            break;
        }
      }
    });
  }
}
