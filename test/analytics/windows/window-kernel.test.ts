// The window kernel against a brute-force reference: every window that fires holds exactly the readings
// of its span that were not late, late readings within the allowed lateness fire it again, and older
// ones go to the side output; sessions close on their gap; the sketch's quantiles stay within a bin.
import { describe, it, expect } from "vitest";
import { WindowKernel, WINDOW_FLAG, type FiredWindow } from "../../../src/analytics/windows/window-kernel.js";
import { aggregate, quantile } from "../../../src/analytics/windows/window-state.js";
import { Random } from "../../../src/sim/random.js";

const S = 1e6;
const T0 = 1_700_000_040e6; // a minute boundary
const spec = { kind: "tumbling" as const, sizeUs: 60 * S, slideUs: 60 * S, gapUs: 0, outOfOrdernessUs: 5 * S, allowedLatenessUs: 0, idleUs: 30 * S };

function push(k: WindowKernel, ts: number[], values: number[], slot = 0, device = 0, arrival = 0) {
  const n = ts.length;
  const flags = new Uint8Array(n);
  const fired = k.push(new Int32Array(n).fill(slot), new Int32Array(n).fill(device), Float64Array.from(ts), Float64Array.from(values), arrival, flags);
  return { fired, flags };
}

describe("the window kernel", () => {
  it("fires a tumbling window once the watermark passes its end, with count, sum, min, max, mean, variance and rate", async () => {
    const k = await WindowKernel.create(spec);
    const ts = Array.from({ length: 70 }, (_, i) => T0 + i * S);
    const values = ts.map((_, i) => 10 + (i % 7));
    const { fired } = push(k, ts, values);
    // Readings up to 69 s: the watermark is at 64 s, so only [0, 60) has fired.
    expect(fired).toHaveLength(1);
    const w = fired[0].state;
    const first = values.slice(0, 60);
    const mean = first.reduce((a, b) => a + b) / 60;
    expect([w.start, w.end, w.count, w.sum, w.min, w.max]).toEqual([T0, T0 + 60 * S, 60, first.reduce((a, b) => a + b), 10, 16]);
    expect(w.mean).toBeCloseTo(mean, 12);
    expect(aggregate(w, "variance")).toBeCloseTo(first.reduce((a, v) => a + (v - mean) ** 2, 0) / 60, 10);
    expect(aggregate(w, "rate")).toBeCloseTo((first[59] - first[0]) / 59, 12);
  });

  it("matches a brute-force reference for sliding windows over shuffled readings, with late ones in the side output", async () => {
    const random = new Random(7);
    const bound = 5 * S;
    const k = await WindowKernel.create({ ...spec, kind: "sliding", sizeUs: 300 * S, slideUs: 60 * S });
    const n = 3000;
    // Event times jittered up to 8 s back, and one in a hundred 6 to 10 minutes back.
    const ts = Array.from({ length: n }, (_, i) => T0 + i * S - Math.floor(random.next() * 8) * S - (random.chance(0.01) ? (360 + Math.floor(random.next() * 240)) * S : 0));
    const values = ts.map(() => Math.round(random.next() * 1000) / 10);
    const fired: FiredWindow[] = [];
    const flags: number[] = [];
    for (let i = 0; i < n; i += 100) {
      const r = push(k, ts.slice(i, i + 100), values.slice(i, i + 100));
      fired.push(...r.fired);
      flags.push(...r.flags);
    }
    // The reference: a reading is in a window when its timestamp is in the span and the window's end
    // was ahead of the watermark (newest timestamp before it − bound) when it was taken.
    const watermarkBefore = ts.map((_, i) => Math.max(-Infinity, ...ts.slice(0, i)) - bound);
    expect(flags.filter((f) => f === WINDOW_FLAG.LATE).length).toBe(ts.filter((t, i) => Math.floor(t / (60 * S)) * 60 * S + 300 * S <= watermarkBefore[i]).length);
    expect(flags.filter((f) => f === WINDOW_FLAG.LATE).length).toBeGreaterThan(10);
    for (const w of fired.map((f) => f.state)) {
      const inside = ts.map((t, i) => [t, values[i], i] as const).filter(([t, , i]) => t >= w.start && t < w.end && w.end > watermarkBefore[i]);
      expect(w.end - w.start).toBe(300 * S);
      expect(w.count).toBe(inside.length);
      expect(w.sum).toBeCloseTo(inside.reduce((a, [, v]) => a + v, 0), 6);
      expect(w.min).toBe(Math.min(...inside.map(([, v]) => v)));
      expect(w.max).toBe(Math.max(...inside.map(([, v]) => v)));
      const sorted = inside.map(([, v]) => v).sort((a, b) => a - b);
      const exact = sorted[Math.ceil(0.95 * sorted.length) - 1];
      expect(Math.abs(quantile(w, 0.95) - exact)).toBeLessThanOrEqual(1 / w.scale + 1e-9);
      expect(w.bins.reduce((a, b) => a + b, 0)).toBe(w.count);
    }
    // Windows ending every minute, none twice, none with an update flag (no lateness allowed).
    const ends = fired.map((f) => f.state.end);
    expect(new Set(ends).size).toBe(ends.length);
    expect(ends.length).toBeGreaterThan(40);
    expect(fired.some((f) => f.state.update)).toBe(false);
  });

  it("keeps every reading in the sketch while it coarsens, whatever the parity of its grid, with quantiles within a bin", async () => {
    const random = new Random(11);
    const k = await WindowKernel.create({ ...spec, kind: "sliding", sizeUs: 180 * S, slideUs: 60 * S });
    // Values of either sign over six orders of magnitude: each pane starts fine and coarsens many times.
    const ts = Array.from({ length: 1200 }, (_, i) => T0 + i * S);
    const values = ts.map(() => (random.chance(0.5) ? -1 : 1) * 10 ** (random.next() * 6 - 2) + random.next());
    const fired = push(k, ts, values).fired.map((f) => f.state);
    expect(fired.length).toBeGreaterThan(15);
    for (const w of fired) {
      const inside = values.filter((_, i) => ts[i] >= w.start && ts[i] < w.end).sort((a, b) => a - b);
      expect(w.bins.reduce((a, b) => a + b, 0)).toBe(inside.length);
      for (const q of [0.05, 0.5, 0.95]) {
        expect(Math.abs(quantile(w, q) - inside[Math.ceil(q * inside.length) - 1])).toBeLessThanOrEqual(1 / w.scale + 1e-9);
      }
    }
  });

  it("takes a late reading within the allowed lateness, fires the window again, and sends an older one to the side output", async () => {
    const k = await WindowKernel.create({ ...spec, allowedLatenessUs: 30 * S });
    const first = push(k, Array.from({ length: 70 }, (_, i) => T0 + i * S), new Array(70).fill(1));
    expect(first.fired.map((f) => f.state.count)).toEqual([60]);
    // 20 s after the window closed: within lateness.
    const update = push(k, [T0 + 10 * S], [100]);
    expect(update.flags[0]).toBe(WINDOW_FLAG.UPDATE);
    expect(update.fired.map((f) => [f.state.count, f.state.max, f.state.update])).toEqual([[61, 100, true]]);
    // Move the watermark past end + lateness: the same window no longer takes readings.
    push(k, Array.from({ length: 40 }, (_, i) => T0 + (70 + i) * S), new Array(40).fill(1));
    const tooLate = push(k, [T0 + 20 * S], [5]);
    expect(tooLate.flags[0]).toBe(WINDOW_FLAG.LATE);
    expect(tooLate.fired).toEqual([]);
  });

  it("keeps one watermark per device: a channel that went quiet closes with its device's others", async () => {
    const k = await WindowKernel.create(spec);
    push(k, [T0 + S], [1], 0, 0);
    const r = push(k, Array.from({ length: 70 }, (_, i) => T0 + i * S), new Array(70).fill(2), 1, 0);
    expect(r.fired.map((f) => f.slot)).toEqual([1]);
    // The quiet series 0 fires on the next sweep, not when its own reading would come.
    expect(k.sweep(0).map((f) => [f.slot, f.state.count])).toEqual([[0, 1]]);
  });

  it("closes an idle device's windows by the clock after the idle timeout", async () => {
    const k = await WindowKernel.create(spec);
    const arrival = 1e15;
    push(k, [T0 + 10 * S, T0 + 11 * S], [1, 2], 0, 0, arrival);
    expect(k.sweep(arrival + 20 * S)).toEqual([]);
    // After 30 s idle the watermark moves with the clock: [0, 60) closes when 11 s + (idle time − 30 s) − 5 s reaches 60 s.
    expect(k.sweep(arrival + 80 * S)).toEqual([]);
    expect(k.sweep(arrival + 85 * S).map((f) => f.state.count)).toEqual([2]);
  });

  it("closes a session after its gap, and a reading past the gap starts the next one", async () => {
    const k = await WindowKernel.create({ ...spec, kind: "session", sizeUs: 0, slideUs: 0, gapUs: 10 * S, outOfOrdernessUs: 0 });
    const ts = [0, 2, 4, 30, 31, 50].map((s) => T0 + s * S);
    const { fired } = push(k, ts, [1, 2, 3, 4, 5, 6]);
    expect(fired.map((f) => [(f.state.start - T0) / S, (f.state.end - T0) / S, f.state.count])).toEqual([
      [0, 14, 3],
      [30, 41, 2],
    ]);
  });

  it("waits for the watermark to close a session: a reading within the out-of-orderness bound still joins it", async () => {
    const k = await WindowKernel.create({ ...spec, kind: "session", sizeUs: 0, slideUs: 0, gapUs: 10 * S, outOfOrdernessUs: 20 * S });
    // 12 s comes after 30 s but within the bound: it joins [0, 14), which then ends at 22 s.
    const { fired, flags } = push(k, [0, 2, 4, 30, 12, 31, 60].map((s) => T0 + s * S), [1, 2, 3, 4, 5, 6, 7]);
    expect([...flags]).toEqual([0, 0, 0, 0, 0, 0, 0]);
    expect(fired.map((f) => [(f.state.start - T0) / S, (f.state.end - T0) / S, f.state.count, f.state.sum])).toEqual([[0, 22, 4, 11]]);
    expect(push(k, [T0 + 65 * S], [8]).fired.map((f) => [(f.state.start - T0) / S, (f.state.end - T0) / S, f.state.count])).toEqual([[30, 41, 2]]);
  });

  it("merges two sessions a reading bridges, with their statistics and sketches", async () => {
    const k = await WindowKernel.create({ ...spec, kind: "session", sizeUs: 0, slideUs: 0, gapUs: 10 * S, outOfOrdernessUs: 30 * S });
    push(k, [T0, T0 + 18 * S], [1000, 3]);
    const fired = push(k, [T0 + 9 * S, T0 + 100 * S], [5, 0]).fired.map((f) => f.state);
    expect(fired).toHaveLength(1);
    const w = fired[0];
    expect([(w.start - T0) / S, (w.end - T0) / S, w.count, w.sum, w.min, w.max, w.first, w.last]).toEqual([0, 28, 3, 1008, 3, 1000, 1000, 3]);
    expect(aggregate(w, "variance")).toBeCloseTo(((1000 - 336) ** 2 + (5 - 336) ** 2 + (3 - 336) ** 2) / 3, 6);
    expect(w.bins.reduce((a, b) => a + b, 0)).toBe(3);
  });

  it("takes late readings into a fired session until the watermark passes its end plus the allowed lateness", async () => {
    const k = await WindowKernel.create({ ...spec, kind: "session", sizeUs: 0, slideUs: 0, gapUs: 10 * S, outOfOrdernessUs: 0, allowedLatenessUs: 30 * S });
    const at = (s: number[]) => s.map((x) => T0 + x * S);
    const shape = (r: ReturnType<typeof push>) => r.fired.map((f) => [(f.state.start - T0) / S, (f.state.end - T0) / S, f.state.count, f.state.update]);
    expect(shape(push(k, at([0, 2, 20]), [1, 2, 3]))).toEqual([[0, 12, 2, false]]);
    const late = push(k, at([5]), [4]);
    expect([...late.flags]).toEqual([WINDOW_FLAG.UPDATE]);
    expect(shape(late)).toEqual([[0, 15, 3, true]]);
    expect(shape(push(k, at([50]), [5]))).toEqual([[20, 30, 1, false]]);
    // [0, 15) + 30 s of lateness has passed at 50 s: a reading for it now is late.
    const tooLate = push(k, at([3]), [6]);
    expect([...tooLate.flags]).toEqual([WINDOW_FLAG.LATE]);
    expect(tooLate.fired).toEqual([]);
  });

  it("matches a reference model of Flink's session windows over out-of-order readings, reading by reading", async () => {
    const random = new Random(23);
    const gap = 10 * S;
    const bound = 5 * S;
    const lateness = 20 * S;
    const k = await WindowKernel.create({ ...spec, kind: "session", sizeUs: 0, slideUs: 0, gapUs: gap, outOfOrdernessUs: bound, allowedLatenessUs: lateness });
    // Bursts of 1 Hz readings with silences between them; one in ten up to 25 s late, one in fifty up to 80 s.
    const ts: number[] = [];
    for (let t = T0; ts.length < 1500; ) {
      const burst = 5 + Math.floor(random.next() * 40);
      for (let i = 0; i < burst; i++, t += S) ts.push(t - (random.chance(0.1) ? Math.floor(random.next() * 25) * S : 0) - (random.chance(0.02) ? Math.floor(random.next() * 80) * S : 0));
      t += (12 + Math.floor(random.next() * 30)) * S;
    }
    const values = ts.map(() => Math.round(random.next() * 100));
    // The model: sessions as [first, last + gap) with their readings; fired ones are kept until the
    // watermark passes their end plus the lateness.
    type Session = { first: number; last: number; values: number[]; fired: boolean };
    let sessions: Session[] = [];
    let newest = -Infinity;
    let alive = 0;
    const expected: string[] = [];
    const expectedFlags: number[] = [];
    const emit = (x: Session, update: boolean) => expected.push(`${x.first}-${x.last + gap}:${x.values.length}:${x.values.reduce((a, b) => a + b, 0)}:${update}`);
    const actual: string[] = [];
    const flags: number[] = [];
    ts.forEach((t, i) => {
      newest = Math.max(newest, t);
      const wm = newest - bound;
      for (const x of sessions) if (!x.fired && x.last + gap <= wm) (emit(x, false), (x.fired = true));
      sessions = sessions.filter((x) => !(x.fired && x.last + gap + lateness <= wm));
      const touched = sessions.filter((x) => t > x.first - gap && t < x.last + gap);
      let flag = 0;
      if (touched.length === 0 && t + gap + lateness <= wm) flag = WINDOW_FLAG.LATE;
      else {
        const x: Session = { first: t, last: t, values: [], fired: false };
        for (const y of touched) (x.first = Math.min(x.first, y.first)), (x.last = Math.max(x.last, y.last)), x.values.push(...y.values), (x.fired ||= y.fired);
        x.values.push(values[i]);
        sessions = [...sessions.filter((y) => !touched.includes(y)), x];
        alive = Math.max(alive, sessions.length);
        if (x.last + gap <= wm) {
          flag = WINDOW_FLAG.UPDATE;
          emit(x, x.fired);
          x.fired = true;
        } else x.fired = false;
      }
      expectedFlags.push(flag);
      const r = push(k, [t], [values[i]]);
      flags.push(r.flags[0]);
      for (const f of r.fired) actual.push(`${f.state.start}-${f.state.end}:${f.state.count}:${f.state.sum}:${f.state.update}`);
    });
    // Never more sessions at once than the kernel holds (the model has no such limit).
    expect(alive).toBeLessThanOrEqual(4);
    expect(flags).toEqual(expectedFlags);
    expect(actual).toEqual(expected);
    expect(flags.filter((f) => f === WINDOW_FLAG.LATE).length).toBeGreaterThan(5);
    expect(flags.filter((f) => f === WINDOW_FLAG.UPDATE).length).toBeGreaterThan(5);
  });

  it("skips NaN and infinite values, and merges states of a group with their sketches", async () => {
    const k = await WindowKernel.create(spec);
    const a = push(k, [T0, T0 + S, T0 + 2 * S, T0 + 70 * S], [1, NaN, 3, 0], 0, 0);
    expect([...a.flags]).toEqual([0, WINDOW_FLAG.SKIPPED, 0, 0]);
    const b = push(k, [T0, T0 + 70 * S], [1000, 0], 1, 1);
    const merged = k.merge([a.fired[0].state, b.fired[0].state]);
    expect([merged.count, merged.min, merged.max, merged.sum]).toEqual([3, 1, 1000, 1004]);
    expect(merged.bins.reduce((x, y) => x + y, 0)).toBe(3);
    expect(quantile(merged, 1)).toBe(1000);
    expect(Math.abs(quantile(merged, 0.5) - 3)).toBeLessThanOrEqual(1 / merged.scale);
  });

  it("keeps no sketch when no percentile is asked for: the same statistics from a smaller state", async () => {
    const plain = await WindowKernel.create({ ...spec, aggregates: ["count", "mean", "stddev", "rate"] });
    const sketched = await WindowKernel.create(spec);
    expect(plain.stateBytes).toBeLessThan(sketched.stateBytes);
    const ts = Array.from({ length: 200 }, (_, i) => T0 + i * S);
    const values = ts.map((_, i) => 5 + Math.sin(i / 9) * 3);
    const a = push(plain, ts, values).fired;
    const b = push(sketched, ts, values).fired;
    expect(a.map((w) => [w.state.start, w.state.count, w.state.sum, w.state.min, w.state.max, w.state.mean, w.state.m2])).toEqual(
      b.map((w) => [w.state.start, w.state.count, w.state.sum, w.state.min, w.state.max, w.state.mean, w.state.m2]),
    );
    expect(a[0].state.bins.every((c) => c === 0)).toBe(true);
  });

  it("keeps the variance accurate for values far from zero (shifted sums per pane)", async () => {
    const k = await WindowKernel.create({ ...spec, kind: "sliding", sizeUs: 180 * S, slideUs: 60 * S });
    const ts = Array.from({ length: 400 }, (_, i) => T0 + i * S);
    const values = ts.map((_, i) => 1e9 + (i % 10) * 0.001);
    const w = push(k, ts, values).fired.find((f) => f.state.count === 180)!.state;
    const slice = values.slice(w.start / S - T0 / S, w.start / S - T0 / S + 180);
    const mean = slice.reduce((x, y) => x + (y - 1e9), 0) / 180;
    const variance = slice.reduce((x, y) => x + (y - 1e9 - mean) ** 2, 0) / 180;
    expect(aggregate(w, "variance")).toBeCloseTo(variance, 9);
    expect(w.mean - 1e9).toBeCloseTo(mean, 6);
  });
});
