// Random fleets written in random batches (gaps, out-of-order points within and beyond the allowed
// lateness, rewritten timestamps, NaN and ±∞, checkpoints and re-opens between batches) must answer
// every query exactly as a brute-force computation over the raw writes does.
import { describe, it, expect, beforeAll, afterEach } from "vitest";
import fc from "fast-check";
import { Archive, createCodec, type Codec, type Query, type Aggregate } from "../../src/index.js";
import { TempDirs, T0, SECOND, MINUTE, columnsOf, seeded, type Reading } from "../support/archive-fixtures.js";
import { ReferenceStore, expectMatchesModel } from "../support/archive-reference.js";

/** Timestamps move in ticks of 100 ms; each device adds its own offset below 16 µs, so no two devices
 * share a timestamp and first/last of a group are well defined. */
const TICK = 100_000;
const LATENESS = 10 * SECOND;
const BLOCK_WINDOW = MINUTE;
const SCALARS: Aggregate[] = ["count", "sum", "min", "max", "avg", "stddev", "first", "last", "rate"];
const AGGREGATES: Aggregate[] = [...SCALARS, "p50", "p95", "p99"];
/** Percentiles p for which (p / 100) · N lands above an integer for some N ≤ 5000 (see the last test). */
const DRIFTING = [7, 14, 17, 27, 28, 34, 54, 55, 56, 67, 68, 81];

const FLEET = [
  { id: "press-1", offset: 1, tags: { zone: "A", type: "press" } },
  { id: "press-2", offset: 5, tags: { zone: "B", type: "press" } },
  { id: "pump-1", offset: 9, tags: { zone: "A", type: "pump" } },
  { id: "fan-1", offset: 13, tags: undefined }, // never tagged: its zone group is ""
] as const;

type Op =
  | { kind: "next"; dt: number; v: number }
  | { kind: "back"; dt: number; v: number }
  | { kind: "again"; pick: number; v: number };

const decimal = fc.integer({ min: -5000, max: 15000 }).map((i) => i / 100);
const value = fc.oneof(
  { weight: 16, arbitrary: decimal },
  { weight: 2, arbitrary: fc.constant(Number.NaN) },
  { weight: 1, arbitrary: fc.constantFrom(Infinity, -Infinity) },
);
const next = (dt: fc.Arbitrary<number>, v: fc.Arbitrary<number>) => fc.record({ kind: fc.constant("next" as const), dt, v });

/** Out of order, rewritten and non-finite points everywhere: most blocks overlap or hold NaN. */
const messyOp: fc.Arbitrary<Op> = fc.oneof(
  { weight: 12, arbitrary: next(fc.integer({ min: 1, max: 4 }), value) },
  { weight: 2, arbitrary: next(fc.integer({ min: 5, max: 80 }), value) },
  { weight: 1, arbitrary: next(fc.integer({ min: 600, max: 9000 }), value) },
  // Within the lateness (< 100 ticks = 10 s) and beyond it.
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("back" as const), dt: fc.integer({ min: 1, max: 99 }), v: value }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("back" as const), dt: fc.integer({ min: 101, max: 4000 }), v: value }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("again" as const), pick: fc.nat(), v: value }) },
);

/** Mostly in order with finite values, so whole blocks are answered from their headers. */
const tidyOp: fc.Arbitrary<Op> = fc.oneof(
  { weight: 400, arbitrary: next(fc.integer({ min: 1, max: 4 }), decimal) },
  { weight: 3, arbitrary: next(fc.integer({ min: 5, max: 300 }), decimal) },
  { weight: 1, arbitrary: next(fc.integer({ min: 600, max: 9000 }), decimal) },
  { weight: 1, arbitrary: next(fc.integer({ min: 1, max: 4 }), value) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("back" as const), dt: fc.integer({ min: 1, max: 99 }), v: decimal }) },
);

const seriesOps = fc.oneof(
  fc.array(messyOp, { maxLength: 260, size: "max" }),
  fc.array(tidyOp, { maxLength: 600, size: "max" }),
);

/** A series' readings in write order, from its ops. */
function expand(device: string, offset: number, channel: string, ops: readonly Op[]): Reading[] {
  const out: Reading[] = [];
  let tick = 0;
  for (const o of ops) {
    let at: number;
    if (o.kind === "next") at = tick = out.length === 0 ? 0 : tick + o.dt;
    else if (o.kind === "back") at = Math.max(0, tick - o.dt);
    else at = out.length === 0 ? tick : (out[o.pick % out.length].t - T0 - offset) / TICK;
    out.push({ device, channel, t: T0 + at * TICK + offset, v: o.v });
  }
  return out;
}

type Between = "none" | "checkpoint" | "reopen" | "together";

const scenario = fc.record({
  devices: fc.subarray([0, 1, 2, 3], { minLength: 1 }),
  rpmDevices: fc.subarray([0, 1, 2, 3]),
  series: fc.array(seriesOps, { minLength: 8, maxLength: 8 }),
  blockPoints: fc.constantFrom(64, 160),
  seed: fc.integer({ min: 1, max: 0x7fffffff }),
  batches: fc.integer({ min: 1, max: 6 }),
  between: fc.array(fc.constantFrom<Between>("none", "checkpoint", "reopen", "together"), { minLength: 6, maxLength: 6 }),
  tagLate: fc.boolean(),
  /** Tiny WAL and memory limits: appends start checkpoints in the background. */
  background: fc.boolean(),
});

const selector: fc.Arbitrary<Pick<Query, "devices" | "tags">> = fc.oneof(
  fc.constant({}),
  fc.subarray(["press-1", "press-2", "pump-1", "fan-1", "ghost-9"], { minLength: 1 }).map((devices) => ({ devices })),
  fc.constantFrom<string>("press-*", "p*-?", "*", "fan-1", "*-2", "x*").map((devices) => ({ devices })),
  fc.constantFrom<Record<string, string>>({ zone: "A" }, { zone: "B" }, { zone: "B", type: "press" }, { type: "pump" }).map((tags) => ({ tags })),
);

const querySpec = fc.record({
  channel: fc.constantFrom("temp", "temp", "rpm"),
  selector,
  groupBy: fc.constantFrom(undefined, "none", "device", "zone"),
  step: fc.constantFrom<number | string | undefined>(undefined, undefined, 7 * SECOND, MINUTE, "1m", "5m", 45 * SECOND, "1h"),
  range: fc.oneof(
    fc.constant({ kind: "all" as const }),
    fc.record({ kind: fc.constant("fraction" as const), a: fc.integer({ min: 0, max: 1000 }).map((i) => i / 1000), b: fc.integer({ min: 0, max: 1000 }).map((i) => i / 1000) }),
    fc.record({ kind: fc.constant("aligned" as const), a: fc.nat({ max: 400 }), minutes: fc.integer({ min: 1, max: 240 }) }),
  ),
});
type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;
type QuerySpec = typeof querySpec extends fc.Arbitrary<infer T> ? T : never;

function toQuery(spec: QuerySpec, lo: number, hi: number): Query {
  let from = lo - MINUTE;
  let to = hi + MINUTE;
  if (spec.range.kind === "fraction") {
    from = lo + Math.floor(spec.range.a * (hi - lo));
    to = from + 1 + Math.floor(spec.range.b * (hi + 1 - from));
  } else if (spec.range.kind === "aligned") {
    from = T0 + spec.range.a * BLOCK_WINDOW;
    to = from + spec.range.minutes * MINUTE;
  }
  return { channel: spec.channel, ...spec.selector, groupBy: spec.groupBy, step: spec.step, from, to, aggregates: AGGREGATES };
}

let codec: Codec;
const temp = new TempDirs();
beforeAll(async () => {
  codec = await createCodec();
});
afterEach(() => temp.removeAll());

/** The archive a run has open, closed by the run's `finally` even when a check inside play() fails. */
interface Run {
  archive?: Archive;
}

/** Writes the scenario, checking queries after every batch; leaves the archive open in `run`. */
async function play(run: Run, s: Scenario, queries: readonly QuerySpec[]) {
  const dir = await temp.make("iotpipe-brute-");
  const limits = s.background ? { checkpointBytes: 3000, pendingBytes: 2000 } : {};
  const options = { partitionWindow: "hour" as const, blockWindow: BLOCK_WINDOW, blockPoints: s.blockPoints, lateness: LATENESS, codec, ...limits };
  let archive = (run.archive = await Archive.open(dir, options));
  const model = new ReferenceStore();
  const tagAll = async () => {
    for (const i of s.devices) {
      const d = FLEET[i];
      if (d.tags) {
        await archive.defineDevice(d.id, d.tags);
        model.defineDevice(d.id, d.tags);
      }
    }
  };
  if (!s.tagLate) await tagAll();

  // Every series' writes, interleaved across series in a seeded order that keeps each series' order.
  const perSeries: Reading[][] = [];
  s.devices.forEach((i, k) => {
    const d = FLEET[i];
    perSeries.push(expand(d.id, d.offset, "temp", s.series[2 * k]));
    if (s.rpmDevices.includes(i)) perSeries.push(expand(d.id, d.offset, "rpm", s.series[2 * k + 1]));
  });
  const random = seeded(s.seed);
  const arrival: Reading[] = [];
  const cursor = perSeries.map(() => 0);
  for (let left = perSeries.reduce((n, p) => n + p.length, 0); left > 0; left--) {
    let pick = Math.floor(random() * left);
    let k = 0;
    while (pick >= perSeries[k].length - cursor[k]) pick -= perSeries[k].length - cursor[k++];
    arrival.push(perSeries[k][cursor[k]++]);
  }
  const cuts = [0, ...Array.from({ length: s.batches - 1 }, () => Math.floor(random() * (arrival.length + 1))).sort((a, b) => a - b), arrival.length];
  const all = arrival.map((r) => r.t);
  const lo = all.length > 0 ? Math.min(...all) : T0;
  const hi = all.length > 0 ? Math.max(...all) : T0 + MINUTE;

  // Lateness as the archive defines it: against the series' newest on-time point since the last open.
  let newest = new Map<string, number>();
  let expectedLate = 0;
  let reportedLate = 0;
  let lateSinceOpen = 0;
  let together: Promise<{ late: number }>[] = [];
  for (let b = 0; b < s.batches; b++) {
    const batch = arrival.slice(cuts[b], cuts[b + 1]);
    for (const r of batch) {
      const key = `${r.device}/${r.channel}`;
      const n = newest.get(key) ?? -Infinity;
      if (r.t < n - LATENESS) {
        expectedLate++;
        lateSinceOpen++;
      } else if (r.t > n) newest.set(key, r.t);
    }
    together.push(archive.append(columnsOf(batch)));
    model.write(batch);
    const between = s.between[b];
    if (between === "together" && b < s.batches - 1) continue;
    for (const result of await Promise.all(together)) reportedLate += result.late;
    together = [];
    // A checkpoint runs after any started in the background, so queries below see a settled archive
    // (a query racing a checkpoint is pinned in test/archive/query-during-checkpoint.test.ts).
    if (between === "checkpoint" || s.background) await archive.checkpoint();
    if (between === "reopen") {
      expect(archive.stats.latePoints).toBe(lateSinceOpen);
      await archive.close();
      archive = run.archive = await Archive.open(dir, options);
      newest = new Map();
      lateSinceOpen = 0;
    }
    if (queries.length > 0) {
      const q = toQuery(queries[b % queries.length], lo, hi);
      expectMatchesModel(await archive.query({ ...q, percentiles: "exact" }), model.query(q), q, `after batch ${b}: `);
    }
  }
  expect(reportedLate).toBe(expectedLate);
  expect(archive.stats.latePoints).toBe(lateSinceOpen);
  if (s.tagLate) await tagAll();
  return { archive, model, lo, hi };
}

describe("queries against a brute-force model", () => {
  it("answer every aggregate exactly as the raw writes do, after any mix of batches, checkpoints and re-opens", async () => {
    await fc.assert(
      fc.asyncProperty(scenario, fc.array(querySpec, { minLength: 1, maxLength: 4 }), async (s, specs) => {
        const run: Run = {};
        try {
          const { archive, model, lo, hi } = await play(run, s, specs);
          for (const spec of specs) {
            const q = toQuery(spec, lo, hi);
            const expected = model.query(q);
            const exact = await archive.query({ ...q, percentiles: "exact" });
            expectMatchesModel(exact, expected, q, "exact: ");
            expect(exact.warnings).toEqual([]);
            const approx = await archive.query(q);
            expectMatchesModel(approx, expected, q, "approx: ");
            // Without percentiles, blocks too small for a sketch are answered from headers too.
            const scalar = { ...q, aggregates: SCALARS };
            const plain = await archive.query(scalar);
            expectMatchesModel(plain, model.query(scalar), scalar, "no percentiles: ");
            // Every block in range is either answered from its header or decoded, and explain() sees
            // the same decisions without decoding.
            for (const [asked, { plan }] of [[q, approx], [scalar, plain]] as const) {
              expect(plan.blocksFromHeaders + plan.blocksDecoded).toBe(plan.blocksInRange);
              const explained = await archive.explain(asked);
              expect({ ...explained, pointsDecoded: 0 }).toEqual({ ...plan, pointsDecoded: 0 });
              expect(explained.pointsDecoded).toBe(0);
            }
          }
        } finally {
          await run.archive?.close();
          await temp.removeAll();
        }
      }),
      { numRuns: Number(process.env.ARCHIVE_PROPERTY_RUNS ?? 60) },
    );
  });

  it("approximate percentiles hold the exact answer within their error bounds, mixing header sketches with decoded points", async () => {
    // Dense series in large blocks, so whole blocks carry sketches; then rewrites and NaN make some
    // blocks overlap or go non-finite, so buckets merge sketch intervals with decoded points.
    const value = fc.oneof(fc.integer({ min: -2000, max: 2000 }).map((i) => i / 10), fc.double({ min: -1e6, max: 1e6, noNaN: true }));
    const device = fc.record({
      n: fc.integer({ min: 400, max: 1500 }),
      seed: fc.integer({ min: 1, max: 1 << 30 }),
      spread: fc.constantFrom(0, 1, 10, 1000, 1e9),
      base: value,
      rewrites: fc.array(fc.record({ at: fc.nat(), v: fc.oneof(value, fc.constant(Number.NaN)) }), { maxLength: 6 }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(device, { minLength: 1, maxLength: 3 }),
        fc.constantFrom<number | string | undefined>(undefined, MINUTE, "5m", 90 * SECOND),
        // Percentiles whose p/100·N never drifts across an integer in doubles (those that do are pinned below).
        fc.array(fc.integer({ min: 0, max: 100 }).filter((p) => !DRIFTING.includes(p)), { minLength: 1, maxLength: 4 }),
        fc.constantFrom("none", "device"),
        async (devices, step, percentiles, groupBy) => {
          const dir = await temp.make("iotpipe-approx-");
          const archive = await Archive.open(dir, { partitionWindow: "hour", blockWindow: BLOCK_WINDOW, blockPoints: 1024, lateness: LATENESS, codec });
          const model = new ReferenceStore();
          try {
            const first: Reading[] = [];
            const later: Reading[] = [];
            devices.forEach(({ n, seed, spread, base, rewrites }, d) => {
              const random = seeded(seed);
              const series: Reading[] = [];
              // n points spread over three one-minute block windows: over 128 per block, so each has a sketch.
              for (let i = 0; i < n; i++) series.push({ device: `dev-${d}`, channel: "temp", t: T0 + Math.floor((i * 1800) / n) * TICK + d, v: base + Math.round(random() * spread * 100) / 100 });
              first.push(...series);
              for (const { at, v } of rewrites) later.push({ ...series[at % n], v });
            });
            await archive.append(columnsOf(first));
            await archive.checkpoint();
            await archive.append(columnsOf(later));
            model.write(first);
            model.write(later);
            const q: Query = { channel: "temp", from: T0, to: T0 + 3600 * SECOND, step, groupBy, aggregates: percentiles.map((p) => `p${p}` as Aggregate) };
            const expected = model.query(q);
            const approx = await archive.query(q);
            expectMatchesModel(approx, expected, q, "approx: ");
            const exact = await archive.query({ ...q, percentiles: "exact" });
            expect(exact.plan.blocksFromHeaders).toBe(0);
            expect(exact.groups.every((g) => g.rows.every((r) => r.errorBounds === undefined))).toBe(true);
            expectMatchesModel(exact, expected, q, "exact: ");
            if (later.length === 0 && step === undefined) {
              expect(approx.plan.blocksFromHeaders).toBeGreaterThan(0);
              expect(approx.groups.some((g) => g.rows.some((r) => r.errorBounds !== undefined))).toBe(true);
            }
          } finally {
            await archive.close();
            await temp.removeAll();
          }
        },
      ),
      { numRuns: Number(process.env.ARCHIVE_PROPERTY_RUNS ?? 40) },
    );
  });
});

describe("nearest-rank percentiles", () => {
  it("take the value at rank ⌈p·N/100⌉ even where p/100·N rounds up in floating point (p7 of 100 values is the 7th)", async () => {
    const dir = await temp.make("iotpipe-rank-");
    const archive = await Archive.open(dir, { codec });
    try {
      // In doubles 0.07 · 100 = 7.000000000000001, 0.28 · 25 = 7.000000000000001, 0.14 · 50 = 7.000000000000001,
      // 0.55 · 100 = 55.00000000000001: the rank must still be 7, 7, 7 and 55.
      const cases = [[7, 100], [28, 25], [14, 50], [55, 100], [50, 100]] as const;
      const got: Record<string, number | null> = {};
      const want: Record<string, number> = {};
      for (const [p, n] of cases) {
        const device = `d-${p}-${n}`;
        await archive.append(columnsOf(Array.from({ length: n }, (_, i) => ({ device, channel: "x", t: T0 + i * SECOND, v: i + 1 }))));
        for (const percentiles of ["exact", "approx"] as const) {
          const r = await archive.query({ devices: [device], channel: "x", from: T0, to: T0 + 3600 * SECOND, aggregates: [`p${p}`], percentiles });
          got[`p${p} of 1..${n} (${percentiles})`] = r.groups[0].rows[0].values[`p${p}`];
          want[`p${p} of 1..${n} (${percentiles})`] = (p * n) / 100;
        }
      }
      expect(got).toEqual(want);
    } finally {
      await archive.close();
    }
  });
});
